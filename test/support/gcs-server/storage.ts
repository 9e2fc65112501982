// The server's buckets and objects, in memory for speed and on disk for truth:
//   dataDir/tmp/                      bodies being received (emptied on start)
//   dataDir/buckets/B/bucket.json     the bucket
//   dataDir/buckets/B/objects/H.json  an object's record (H = sha256 of its name): the commit point
//   dataDir/buckets/B/blobs/ID        object data, one file per segment
// Blobs are written whole before the record naming them is renamed into place; a composed object
// hard-links its sources' blobs, so deleting a source never touches it.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkConditions, type Conditions } from './conditions.js';
import { BlobReaders, KeyedMutex, linkOrCopy, openDataFolder, type DataFolder, readRecord, removeQuietly, writeJsonAtomic } from '../server-kit/index.js';
import { GcsError, invalid, noSuchBucket, noSuchObject } from './errors.js';
import { BucketRecord, ObjectRecord, type Segment } from './records.js';
import { SortedNames } from './sorted-names.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/; // GCS's rules for names without dots' extras
const MAX_NAME_BYTES = 1024; // GCS's limit on an object name's UTF-8 length

export interface BucketState {
  record: BucketRecord;
  dir: string;
  objects: Map<string, ObjectRecord>;
  names: SortedNames;
}

/** The data of a new object: received temp files (moved in) or existing blobs (linked). */
export type SegmentSource = { path: string; sizeBytes: number; crc32c: number };

export type ObjectDraft = Omit<ObjectRecord, 'segments' | 'generation' | 'metageneration' | 'createdMs' | 'updatedMs'>;

export class Store {
  private readonly buckets = new Map<string, BucketState>();
  private readonly commits = new KeyedMutex();
  private lastGeneration = 0n;
  /** A blob a reader still needs is unlinked when the last one finishes. */
  private readonly blobs = new BlobReaders();

  private constructor(private readonly folder: DataFolder) {}

  static async open(dataDir: string): Promise<Store> {
    const folder = await openDataFolder(dataDir);
    const store = new Store(folder);
    for (const dir of folder.bucketDirs) await store.loadBucket(dir);
    return store;
  }

  tempFile(): string {
    return this.folder.tempFile();
  }

  /** GCS generations are microsecond timestamps; ours are too, and strictly increasing. */
  nextGeneration(): string {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration.toString();
  }

  // ------------------------------------------------------------------------------------ buckets

  async createBucket(name: string, options: { existingOk: boolean }): Promise<BucketRecord> {
    if (!BUCKET_NAME.test(name) || name.includes('..')) throw invalid(`Invalid bucket name: '${name}'`);
    const existing = this.buckets.get(name);
    if (existing !== undefined) {
      if (options.existingOk) return existing.record;
      throw new GcsError(409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    const dir = join(this.folder.bucketsDir, name);
    for (const folder of ['objects', 'blobs']) await mkdir(join(dir, folder), { recursive: true });
    const record: BucketRecord = { name, createdMs: Date.now() };
    await writeJsonAtomic(join(dir, 'bucket.json'), record);
    this.buckets.set(name, { record, dir, objects: new Map(), names: new SortedNames() });
    return record;
  }

  bucket(name: string): BucketState {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw noSuchBucket(name);
    return bucket;
  }

  bucketRecords(): BucketRecord[] {
    return [...this.buckets.values()].map((bucket) => bucket.record).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  // ------------------------------------------------------------------------------------ objects

  object(bucketName: string, name: string): ObjectRecord | undefined {
    return this.bucket(bucketName).objects.get(name);
  }

  /** The live object, or 404. */
  requireObject(bucketName: string, name: string): ObjectRecord {
    const record = this.object(bucketName, name);
    if (record === undefined) throw noSuchObject(bucketName, name);
    return record;
  }

  /**
   * Makes `sources` the data of a new generation of `draft.name`, if `conditions` hold at that
   * moment. 'move' consumes temp files; 'link' leaves the sources (blobs of other objects).
   */
  async commit(bucketName: string, draft: ObjectDraft, sources: readonly SegmentSource[], how: 'move' | 'link', conditions: Conditions): Promise<ObjectRecord> {
    validateName(draft.name);
    const bucket = this.bucket(bucketName);
    return this.commits.run(`${bucketName}\n${draft.name}`, async () => {
      const previous = bucket.objects.get(draft.name);
      checkConditions(previous, conditions, 'write');
      const segments: Segment[] = [];
      try {
        for (const source of sources) {
          const blob = randomUUID();
          const target = join(bucket.dir, 'blobs', blob);
          if (how === 'move') await rename(source.path, target);
          else await linkOrCopy(source.path, target);
          segments.push({ blob, sizeBytes: source.sizeBytes, crc32c: source.crc32c });
        }
        const nowMs = Date.now();
        const record: ObjectRecord = { ...draft, generation: this.nextGeneration(), metageneration: 1, createdMs: nowMs, updatedMs: nowMs, segments };
        await writeJsonAtomic(this.recordPath(bucket, draft.name), record);
        bucket.objects.set(draft.name, record);
        if (previous === undefined) bucket.names.insert(draft.name);
        else this.discardBlobs(bucket, previous.segments);
        return record;
      } catch (error) {
        this.discardBlobs(bucket, segments);
        throw error;
      }
    });
  }

  /** Changes metadata only: a new metageneration of the same generation. */
  async patch(bucketName: string, name: string, change: { contentType?: string; metadata?: Record<string, string | null> }, conditions: Conditions): Promise<ObjectRecord> {
    const bucket = this.bucket(bucketName);
    return this.commits.run(`${bucketName}\n${name}`, async () => {
      const current = bucket.objects.get(name);
      if (current === undefined) throw noSuchObject(bucketName, name);
      checkConditions(current, conditions, 'write');
      const metadata = { ...current.metadata };
      for (const [field, value] of Object.entries(change.metadata ?? {})) {
        if (value === null) delete metadata[field];
        else metadata[field] = value;
      }
      const record: ObjectRecord = {
        ...current,
        contentType: change.contentType ?? current.contentType,
        metadata,
        metageneration: current.metageneration + 1,
        updatedMs: Date.now(),
      };
      await writeJsonAtomic(this.recordPath(bucket, name), record);
      bucket.objects.set(name, record);
      return record;
    });
  }

  async delete(bucketName: string, name: string, conditions: Conditions): Promise<void> {
    const bucket = this.bucket(bucketName);
    await this.commits.run(`${bucketName}\n${name}`, async () => {
      const current = bucket.objects.get(name);
      if (current === undefined) throw noSuchObject(bucketName, name);
      checkConditions(current, conditions, 'write');
      await unlink(this.recordPath(bucket, name)).catch((error: unknown) => {
        if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
      });
      bucket.objects.delete(name);
      bucket.names.remove(name);
      this.discardBlobs(bucket, current.segments);
    });
  }

  /** Paths of an object's blobs, for a compose that links them into a new object. */
  segmentSources(bucketName: string, record: ObjectRecord): SegmentSource[] {
    const bucket = this.bucket(bucketName);
    return record.segments.map((segment) => ({ path: this.blobPath(bucket, segment.blob), sizeBytes: segment.sizeBytes, crc32c: segment.crc32c }));
  }

  /** The bytes [start, endExclusive) of `record`; its blobs outlive an overwrite until read. */
  read(bucketName: string, record: ObjectRecord, start: number, endExclusive: number): Readable {
    const bucket = this.bucket(bucketName);
    const pieces: { source: string; start: number; end: number }[] = [];
    let segmentStart = 0;
    for (const segment of record.segments) {
      const segmentEnd = segmentStart + segment.sizeBytes;
      const from = Math.max(start, segmentStart);
      const to = Math.min(endExclusive, segmentEnd);
      if (from < to) pieces.push({ source: this.blobPath(bucket, segment.blob), start: from - segmentStart, end: to - segmentStart });
      segmentStart = segmentEnd;
    }
    return this.blobs.read(pieces);
  }

  // ------------------------------------------------------------------------------------ private

  private async loadBucket(dir: string): Promise<void> {
    const record = await readRecord(join(dir, 'bucket.json'), BucketRecord);
    if (record === null) return;
    const bucket: BucketState = { record, dir, objects: new Map(), names: new SortedNames() };
    const referenced = new Set<string>();
    for (const file of await readdir(join(dir, 'objects'))) {
      const path = join(dir, 'objects', file);
      if (!file.endsWith('.json')) {
        await removeQuietly(path); // a record write cut short by a crash
        continue;
      }
      const object = await readRecord(path, ObjectRecord);
      if (object === null) continue;
      bucket.objects.set(object.name, object);
      bucket.names.insert(object.name);
      for (const segment of object.segments) referenced.add(segment.blob);
      const generation = BigInt(object.generation);
      if (generation > this.lastGeneration) this.lastGeneration = generation;
    }
    // Blobs no record names were written by a commit that never finished.
    for (const blob of await readdir(join(dir, 'blobs'))) {
      if (!referenced.has(blob)) await removeQuietly(join(dir, 'blobs', blob));
    }
    this.buckets.set(record.name, bucket);
  }

  private recordPath(bucket: BucketState, name: string): string {
    return join(bucket.dir, 'objects', `${createHash('sha256').update(name).digest('hex')}.json`);
  }

  private blobPath(bucket: BucketState, blob: string): string {
    return join(bucket.dir, 'blobs', blob);
  }

  private discardBlobs(bucket: BucketState, segments: readonly Segment[]): void {
    for (const segment of segments) {
      this.blobs.discard(this.blobPath(bucket, segment.blob));
    }
  }
}

export function validateName(name: string): void {
  if (name === '') throw new GcsError(400, 'required', 'Required: object name');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw invalid('The object name is longer than 1024 bytes.');
  if (/[\r\n]/.test(name)) throw invalid('Object names may not contain carriage return or line feed characters.');
  if (name === '.' || name === '..') throw invalid(`Object name '${name}' is not allowed.`);
}
