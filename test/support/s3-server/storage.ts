// The server's buckets and objects, in memory for speed and on disk for truth:
//   dataDir/tmp/                          bodies being received (emptied on start)
//   dataDir/buckets/B/bucket.json         the bucket
//   dataDir/buckets/B/objects/H.json      an object's record (H = sha256 of the key): the commit point
//   dataDir/buckets/B/blobs/ID            object data, one file per segment (per part if multipart)
//   dataDir/buckets/B/uploads/ID/…        multipart uploads (see uploads.ts)
// A blob is written in full before the record that names it; a crash leaves at most orphan blobs,
// which the next start sweeps. Small objects keep their bytes in the record: one file to create.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkWriteCondition, type WriteCondition } from './conditions.js';
import {
  BlobReaders,
  KeyedMutex,
  TEMP_SUFFIX,
  errorCode,
  linkOrCopy,
  openDataFolder,
  type DataFolder,
  readRecord,
  removeQuietly,
  writeJsonAtomic,
  type BlobPiece,
} from '../server-kit/index.js';
import { S3Error } from './errors.js';
import { BucketRecord, ObjectRecord, type Segment } from './records.js';
import { SortedKeys } from './sorted-keys.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/; // S3's rules for new buckets, minus IP forms

export interface BucketState {
  record: BucketRecord;
  dir: string;
  objects: Map<string, ObjectRecord>;
  keys: SortedKeys;
}

/** What becomes one segment of an object: a file, or (small objects) bytes kept in the record. */
export type SegmentSource = ({ path: string } | { data: Buffer }) & {
  sizeBytes: number;
  checksums: Segment['checksums'];
};

/** An object record before its data has a place in the bucket. */
export type ObjectDraft = Omit<ObjectRecord, 'segments'>;

export class Store {
  private readonly buckets = new Map<string, BucketState>();
  private readonly commits = new KeyedMutex();
  /** A replaced blob is only deleted once nobody reads it. */
  private readonly blobs = new BlobReaders();

  private constructor(private readonly folder: DataFolder) {}

  static async open(dataDir: string): Promise<Store> {
    const folder = await openDataFolder(dataDir);
    const store = new Store(folder);
    for (const dir of folder.bucketDirs) await store.loadBucket(dir);
    return store;
  }

  /** A fresh path for a body being received. */
  tempFile(): string {
    return this.folder.tempFile();
  }

  // -------------------------------------------------------------------------------------------
  // Buckets

  async createBucket(name: string, options: { existingOk: boolean }): Promise<void> {
    if (!BUCKET_NAME.test(name) || name.includes('..')) {
      throw new S3Error('InvalidBucketName', undefined, { fields: { BucketName: name } });
    }
    if (this.buckets.has(name)) {
      if (options.existingOk) return;
      throw new S3Error('BucketAlreadyOwnedByYou', undefined, { fields: { BucketName: name } });
    }
    const dir = join(this.folder.bucketsDir, name);
    for (const folder of ['objects', 'blobs', 'uploads']) await mkdir(join(dir, folder), { recursive: true });
    const record: BucketRecord = { name, createdMs: Date.now() };
    await writeJsonAtomic(join(dir, 'bucket.json'), record);
    this.buckets.set(name, { record, dir, objects: new Map(), keys: new SortedKeys() });
  }

  bucket(name: string): BucketState {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw new S3Error('NoSuchBucket', undefined, { fields: { BucketName: name } });
    return bucket;
  }

  bucketRecords(): BucketRecord[] {
    return [...this.buckets.values()].map((bucket) => bucket.record).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** `hasUploads` is asked of the upload store, which owns them. */
  async deleteBucket(name: string, hasUploads: boolean): Promise<void> {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0 || hasUploads) {
      throw new S3Error('BucketNotEmpty', undefined, { fields: { BucketName: name } });
    }
    this.buckets.delete(name);
    await removeQuietly(bucket.dir);
  }

  // -------------------------------------------------------------------------------------------
  // Objects

  object(bucketName: string, key: string): ObjectRecord | undefined {
    return this.bucket(bucketName).objects.get(key);
  }

  /**
   * Makes `sources` the object's data and `draft` its record, if `condition` holds at that moment.
   * 'move' consumes the sources (temp files); 'link' leaves them (parts stay until the upload goes).
   */
  async commitObject(
    bucketName: string,
    draft: ObjectDraft,
    sources: readonly SegmentSource[],
    how: 'move' | 'link',
    condition: WriteCondition,
  ): Promise<ObjectRecord> {
    const bucket = this.bucket(bucketName);
    return this.commits.run(`${bucketName}\n${draft.key}`, async () => {
      checkWriteCondition(bucket.objects.get(draft.key), condition);
      const segments: Segment[] = [];
      try {
        for (const source of sources) {
          const { sizeBytes, checksums } = source;
          if ('data' in source) {
            segments.push({ blob: null, inlineBase64: source.data.toString('base64'), sizeBytes, checksums });
            continue;
          }
          const blob = randomUUID();
          const target = join(bucket.dir, 'blobs', blob);
          if (how === 'move') await rename(source.path, target);
          else await linkOrCopy(source.path, target);
          segments.push({ blob, inlineBase64: null, sizeBytes, checksums });
        }
        const record: ObjectRecord = { ...draft, segments };
        await writeJsonAtomic(this.recordPath(bucket, draft.key), record);
        const previous = bucket.objects.get(draft.key);
        bucket.objects.set(draft.key, record);
        if (previous === undefined) bucket.keys.insert(draft.key);
        else this.discardBlobs(bucket, previous.segments);
        return record;
      } catch (error) {
        this.discardBlobs(bucket, segments);
        throw error;
      }
    });
  }

  async deleteObject(bucketName: string, key: string): Promise<void> {
    const bucket = this.bucket(bucketName);
    await this.commits.run(`${bucketName}\n${key}`, async () => {
      const previous = bucket.objects.get(key);
      if (previous === undefined) return;
      await unlink(this.recordPath(bucket, key)).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      });
      bucket.objects.delete(key);
      bucket.keys.remove(key);
      this.discardBlobs(bucket, previous.segments);
    });
  }

  /** The bytes [start, endExclusive) of an object; its blobs outlive any overwrite until read. */
  readRange(bucketName: string, record: ObjectRecord, start: number, endExclusive: number): Readable {
    const bucket = this.bucket(bucketName);
    const pieces: BlobPiece[] = [];
    let segmentStart = 0;
    for (const segment of record.segments) {
      const segmentEnd = segmentStart + segment.sizeBytes;
      const from = Math.max(start, segmentStart);
      const to = Math.min(endExclusive, segmentEnd);
      if (from < to) {
        const source =
          segment.blob === null ? Buffer.from(segment.inlineBase64 ?? '', 'base64') : this.blobPath(bucket, segment.blob);
        pieces.push({ source, start: from - segmentStart, end: to - segmentStart });
      }
      segmentStart = segmentEnd;
    }
    return this.blobs.read(pieces);
  }

  private discardBlobs(bucket: BucketState, segments: readonly Segment[]): void {
    for (const segment of segments) {
      if (segment.blob === null) continue;
      this.blobs.discard(this.blobPath(bucket, segment.blob));
    }
  }

  private recordPath(bucket: BucketState, key: string): string {
    return join(bucket.dir, 'objects', `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  private blobPath(bucket: BucketState, blob: string): string {
    return join(bucket.dir, 'blobs', blob);
  }

  // -------------------------------------------------------------------------------------------
  // Start-up

  private async loadBucket(dir: string): Promise<void> {
    const record = await readRecord(join(dir, 'bucket.json'), BucketRecord);
    if (record === null) return;
    const objects = new Map<string, ObjectRecord>();
    const objectsDir = join(dir, 'objects');
    for (const name of await readdir(objectsDir).catch(() => [])) {
      const path = join(objectsDir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        await removeQuietly(path);
        continue;
      }
      const object = await readRecord(path, ObjectRecord);
      if (object !== null) objects.set(object.key, object);
    }
    // Blobs no record names are leftovers of a crash between writing data and committing it.
    const referenced = new Set(
      [...objects.values()].flatMap((object) => object.segments.flatMap((segment) => segment.blob ?? [])),
    );
    const blobsDir = join(dir, 'blobs');
    for (const blob of await readdir(blobsDir).catch(() => [])) {
      if (!referenced.has(blob)) await removeQuietly(join(blobsDir, blob));
    }
    this.buckets.set(record.name, { record, dir, objects, keys: new SortedKeys(objects.keys()) });
  }
}
