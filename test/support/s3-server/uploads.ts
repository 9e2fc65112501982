// Multipart uploads on disk: dataDir/buckets/B/uploads/ID/upload.json, part-N.json (the part's
// record, the commit point of a part) and N-UUID.part (its data). Re-sending a part replaces it;
// every change to one upload (part commit, complete, abort) runs under that upload's lock.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex, TEMP_SUFFIX, readRecord, removeQuietly, writeJsonAtomic } from '../server-kit/index.js';
import { S3Error } from './errors.js';
import { PartRecord, UploadRecord } from './records.js';
import type { Store } from './storage.js';

export interface UploadState {
  bucket: string;
  record: UploadRecord;
  dir: string;
  parts: Map<number, PartRecord>;
  /** Completed or aborted; a part still arriving must not resurrect it. */
  gone: boolean;
}

const UPLOAD_FILE = 'upload.json';
const PART_RECORD = /^part-(\d+)\.json$/;

export class UploadStore {
  private readonly uploads = new Map<string, UploadState>();
  private readonly locks = new KeyedMutex();

  private constructor(private readonly store: Store) {}

  static async open(store: Store): Promise<UploadStore> {
    const uploads = new UploadStore(store);
    for (const bucket of store.bucketRecords()) await uploads.loadBucket(bucket.name);
    return uploads;
  }

  async create(bucketName: string, draft: Omit<UploadRecord, 'uploadId' | 'initiatedMs'>): Promise<UploadRecord> {
    const bucket = this.store.bucket(bucketName);
    const uploadId = randomBytes(24).toString('base64url');
    const record: UploadRecord = { ...draft, uploadId, initiatedMs: Date.now() };
    const dir = join(bucket.dir, 'uploads', uploadId);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, UPLOAD_FILE), record);
    this.uploads.set(uploadId, { bucket: bucketName, record, dir, parts: new Map(), gone: false });
    return record;
  }

  /** The upload, if it exists for exactly this bucket and key (S3 answers NoSuchUpload otherwise). */
  get(bucketName: string, key: string, uploadId: string): UploadState {
    this.store.bucket(bucketName);
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.gone || upload.bucket !== bucketName || upload.record.key !== key) {
      throw new S3Error('NoSuchUpload', undefined, { fields: { UploadId: uploadId } });
    }
    return upload;
  }

  list(bucketName: string): UploadState[] {
    return [...this.uploads.values()].filter((upload) => upload.bucket === bucketName && !upload.gone);
  }

  /** Runs `task` alone against this upload; throws NoSuchUpload if it went meanwhile. */
  async exclusive<T>(upload: UploadState, task: () => Promise<T>): Promise<T> {
    return this.locks.run(upload.record.uploadId, async () => {
      if (upload.gone) throw new S3Error('NoSuchUpload', undefined, { fields: { UploadId: upload.record.uploadId } });
      return task();
    });
  }

  /** Makes a fully received temp file part `part.partNumber`, replacing any earlier one. */
  async storePart(upload: UploadState, part: Omit<PartRecord, 'file'>, tempPath: string): Promise<PartRecord> {
    return this.exclusive(upload, async () => {
      const record: PartRecord = { ...part, file: `${part.partNumber}-${randomUUID()}.part` };
      await rename(tempPath, join(upload.dir, record.file));
      await writeJsonAtomic(join(upload.dir, `part-${part.partNumber}.json`), record);
      const previous = upload.parts.get(part.partNumber);
      upload.parts.set(part.partNumber, record);
      if (previous !== undefined) await removeQuietly(join(upload.dir, previous.file));
      return record;
    });
  }

  partPath(upload: UploadState, part: PartRecord): string {
    return join(upload.dir, part.file);
  }

  /** Forgets the upload and deletes its parts; call inside `exclusive`. */
  async remove(upload: UploadState): Promise<void> {
    upload.gone = true;
    this.uploads.delete(upload.record.uploadId);
    await removeQuietly(upload.dir);
  }

  private async loadBucket(bucketName: string): Promise<void> {
    const uploadsDir = join(this.store.bucket(bucketName).dir, 'uploads');
    for (const uploadId of await readdir(uploadsDir).catch(() => [])) {
      const dir = join(uploadsDir, uploadId);
      const record = await readRecord(join(dir, UPLOAD_FILE), UploadRecord);
      if (record === null) {
        await removeQuietly(dir);
        continue;
      }
      const parts = new Map<number, PartRecord>();
      const names = await readdir(dir);
      for (const name of names) {
        if (!PART_RECORD.test(name)) continue;
        const part = await readRecord(join(dir, name), PartRecord);
        if (part !== null) parts.set(part.partNumber, part);
      }
      // Data files no part record names were superseded, or received when the server died.
      const referenced = new Set([...parts.values()].map((part) => part.file));
      for (const name of names) {
        if (name.endsWith(TEMP_SUFFIX) || (name.endsWith('.part') && !referenced.has(name))) {
          await removeQuietly(join(dir, name));
        }
      }
      this.uploads.set(record.uploadId, { bucket: bucketName, record, dir, parts, gone: false });
    }
  }
}
