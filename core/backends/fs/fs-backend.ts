// FsBackend: a local folder as an object store, the embedded default destination. Objects are plain
// files a person can open; multipart parts, temp files, locks and metadata live under `.tierdrop/`.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { TierdropError } from '../../errors/index.js';
import { abortedFailure, endOnAbort } from '../abort.js';
import { printable } from '../keys.js';
import type {
  Body,
  CompleteError,
  InitiateOptions,
  ObjectMeta,
  PartReceipt,
  PutOptions,
  StoreBackend,
  StoredObject,
  UploadListing,
} from '../types.js';
import { etagOf, LengthMismatchError, statOrNull, writeFileAtomically, type WrittenFile } from './atomic.js';
import { errnoCode, fsError } from './errors.js';
import { FsLayout, validateFsKey } from './layout.js';
import { DEFAULT_LOCK_TIMING, withFileLock, type LockTiming } from './lock.js';
import { readMetadata, removeMetadata, writeMetadata, type ObjectDescription } from './metadata.js';
import {
  createUpload,
  isUploadId,
  listUploadIds,
  MAX_PART_NO,
  MIN_PART_NO,
  partFileName,
  readParts,
  readUpload,
  type UploadRecord,
} from './uploads.js';
import { walkFiles } from './walk.js';

const STALE_TMP_MS = 24 * 60 * 60 * 1000; // temp files this old were left by a crash, not a writer

export interface FsBackendOptions {
  /** Absolute path of the destination folder; created when missing. */
  root: string;
  lockTiming?: LockTiming;
}

export class FsBackend implements StoreBackend {
  readonly description: string;
  private readonly layout: FsLayout;
  private readonly lockTiming: LockTiming;
  private prepared: Promise<void> | null = null;

  constructor(options: FsBackendOptions) {
    if (!isAbsolute(options.root)) {
      throw new TierdropError('invalid_input', `The destination folder "${options.root}" is not an absolute path.`, {
        hint: 'Choose the folder again, or write its full path.',
      });
    }
    this.layout = new FsLayout(resolve(options.root));
    this.lockTiming = options.lockTiming ?? DEFAULT_LOCK_TIMING;
    this.description = `the folder ${this.layout.root}`;
  }

  async put(key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    validateFsKey(key, 'write');
    try {
      await this.prepare();
      const description = describe(options.contentType, options.metadata);
      const written = await this.writeObject(key, bodySource(body, options.signal), options.contentLength, description, options.signal);
      return { etag: written.etag };
    } catch (error) {
      throw this.failure(error, 'write', key, options.signal);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<StoredObject | null> {
    validateFsKey(key, 'read');
    const path = this.layout.objectPath(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.failure(error, 'read', key);
    }
    try {
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      const meta = await this.metaOf(key, etagOf(stats), stats.size, stats.mtimeNs);
      const body = createReadStream(path, { fd: handle });
      if (signal !== undefined) endOnAbort(signal, body);
      return { meta, body };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw this.failure(error, 'read', key);
    }
  }

  async head(key: string): Promise<ObjectMeta | null> {
    validateFsKey(key, 'look up');
    try {
      const stats = await statOrNull(this.layout.objectPath(key));
      if (stats === null || !stats.isFile()) return null;
      return await this.metaOf(key, etagOf(stats), stats.size, stats.mtimeNs);
    } catch (error) {
      throw this.failure(error, 'look up', key);
    }
  }

  async delete(key: string): Promise<void> {
    validateFsKey(key, 'delete');
    const path = this.layout.objectPath(key);
    try {
      const stats = await statOrNull(path);
      if (stats === null || !stats.isFile()) return;
      await unlink(path).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
      await removeMetadata(this.layout, key);
      await this.pruneEmptyFolders(dirname(path));
    } catch (error) {
      throw this.failure(error, 'delete', key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    try {
      for await (const file of walkFiles(this.layout.root, prefix)) {
        // Like S3's listing, a listing carries no content type or metadata: head() has them.
        yield {
          key: file.key,
          sizeBytes: Number(file.stats.size),
          etag: etagOf(file.stats),
          lastModifiedMs: Number(file.stats.mtimeNs / 1_000_000n),
          metadata: {},
        };
      }
    } catch (error) {
      throw this.failure(error, 'list', prefix === '' ? undefined : `${prefix}*`);
    }
  }

  async dispose(): Promise<void> {
    // Nothing is held between calls: every handle is closed by the call that opened it.
  }

  async initiate(key: string, options: InitiateOptions = {}): Promise<string> {
    validateFsKey(key, 'start an upload of');
    const uploadId = randomUUID();
    try {
      await this.prepare();
      await createUpload(this.layout, uploadId, { key, initiatedMs: Date.now(), ...describe(options.contentType, options.metadata) });
      return uploadId;
    } catch (error) {
      throw this.failure(error, 'start an upload of', key);
    }
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNo: number,
    body: Body,
    lengthBytes: number,
    signal?: AbortSignal,
  ): Promise<PartReceipt> {
    validateFsKey(key, 'upload a part of');
    validatePartNo(partNo, key);
    const operation = `upload part ${partNo} of`;
    try {
      await this.prepare();
      await this.requireUpload(key, uploadId, operation);
      const folder = this.layout.uploadDir(uploadId);
      const written = await writeFileAtomically(
        this.layout.tmpDir,
        (file) => join(folder, partFileName(partNo, file.md5Hex)),
        bodySource(body, signal),
        { expectedBytes: lengthBytes, signal, createParents: false },
      ).catch((error: unknown) => {
        // The folder vanished under us: the upload was aborted or completed meanwhile.
        if (errnoCode(error) === 'ENOENT') throw uploadGone(key, uploadId, operation);
        throw error;
      });
      await this.removeReplacedParts(folder, partNo, written.md5Hex);
      return { partNo, etag: written.md5Hex, sizeBytes: written.sizeBytes, checksum: null };
    } catch (error) {
      throw this.failure(error, operation, key, signal);
    }
  }

  async listParts(key: string, uploadId: string): Promise<PartReceipt[]> {
    validateFsKey(key, 'list the parts of');
    const operation = 'list the parts of';
    try {
      await this.requireUpload(key, uploadId, operation);
      const parts = await readParts(this.layout, uploadId).catch((error: unknown) => {
        if (isMissing(error)) throw uploadGone(key, uploadId, operation);
        throw error;
      });
      return [...parts.values()].map((part) => ({ partNo: part.partNo, etag: part.md5Hex, sizeBytes: part.sizeBytes, checksum: null }));
    } catch (error) {
      throw this.failure(error, operation, key);
    }
  }

  async abort(key: string, uploadId: string): Promise<void> {
    validateFsKey(key, 'abort the upload of');
    if (!isUploadId(uploadId)) return;
    try {
      const upload = await readUpload(this.layout, uploadId);
      // A record for another key means the caller mixed ids up: like S3, leave that upload alone.
      if (upload !== null && upload.key !== key) return;
      await rm(this.layout.uploadDir(uploadId), { recursive: true, force: true });
    } catch (error) {
      throw this.failure(error, 'abort the upload of', key);
    }
  }

  async complete(key: string, uploadId: string, parts: PartReceipt[]): Promise<CompleteError | null> {
    validateFsKey(key, 'complete the upload of');
    const operation = 'complete the upload of';
    try {
      await this.prepare();
      const upload = await readUpload(this.layout, uploadId);
      if (upload === null || upload.key !== key) return uploadGone(key, uploadId, operation).toInfo();
      const stored = await readParts(this.layout, uploadId).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      if (stored === null) return uploadGone(key, uploadId, operation).toInfo();
      const problem = partListProblem(parts, stored);
      if (problem !== null) {
        return {
          code: 'invalid_input',
          message: `Cannot complete the upload of "${printable(key)}": ${problem}.`,
          retryable: false,
          hint: 'List the parts again and upload the missing ones.',
        };
      }
      const paths = parts.map((part) => stored.get(part.partNo)?.path ?? '');
      try {
        await this.writeObject(key, concatenate(paths), undefined, describe(upload.contentType, upload.metadata), undefined);
      } catch (error) {
        // A part file vanished: the upload was aborted or completed by someone else meanwhile.
        if (errnoCode(error) === 'ENOENT' && (await readUpload(this.layout, uploadId)) === null) {
          return uploadGone(key, uploadId, operation).toInfo();
        }
        throw error;
      }
      await rm(this.layout.uploadDir(uploadId), { recursive: true, force: true });
      return null;
    } catch (error) {
      throw this.failure(error, operation, key);
    }
  }

  async *listUploads(prefix: string): AsyncIterable<UploadListing> {
    let listings: UploadListing[];
    try {
      const found: UploadListing[] = [];
      for (const uploadId of await listUploadIds(this.layout)) {
        const upload: UploadRecord | null = await readUpload(this.layout, uploadId);
        if (upload !== null && upload.key.startsWith(prefix)) {
          found.push({ key: upload.key, uploadId, initiatedMs: upload.initiatedMs });
        }
      }
      // S3's order: by key, then oldest first.
      listings = found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || a.initiatedMs - b.initiatedMs);
    } catch (error) {
      throw this.failure(error, 'list the uploads in', undefined);
    }
    yield* listings;
  }

  async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    validateFsKey(key, 'write');
    const path = this.layout.objectPath(key);
    try {
      await this.prepare();
      return await withFileLock(this.layout.lockPath(key), `"${printable(key)}" in ${this.layout.root}`, this.lockTiming, async () => {
        const current = await statOrNull(path);
        const currentEtag = current !== null && current.isFile() ? etagOf(current) : null;
        if (currentEtag !== expected) {
          // A retry of a write that already landed finds its own value: that is success.
          const same = current !== null && current.isFile() && current.size === BigInt(value.length) && (await readFile(path)).equals(value);
          return same ? 'written' : 'conflict';
        }
        await this.writeObject(key, value, value.length, { metadata: {} }, undefined);
        return 'written';
      });
    } catch (error) {
      throw this.failure(error, 'write', key);
    }
  }

  /** Creates the folder and Tierdrop's state folders once, and clears temp files left by crashes. */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const { tmpDir, uploadsDir, locksDir, metaDir } = this.layout;
      for (const folder of [tmpDir, uploadsDir, locksDir, metaDir]) await mkdir(folder, { recursive: true });
      await this.sweepTemp();
    })().catch((error: unknown) => {
      this.prepared = null; // try again on the next call: the person may fix the folder
      throw error;
    });
    return this.prepared;
  }

  private async sweepTemp(): Promise<void> {
    for (const name of await readdir(this.layout.tmpDir)) {
      const path = join(this.layout.tmpDir, name);
      const stats = await stat(path).catch(() => null);
      if (stats !== null && Date.now() - stats.mtimeMs > STALE_TMP_MS) await rm(path, { force: true, recursive: true });
    }
  }

  private writeObject(
    key: string,
    source: Buffer | AsyncIterable<Buffer | Uint8Array>,
    expectedBytes: number | undefined,
    description: ObjectDescription,
    signal: AbortSignal | undefined,
  ): Promise<WrittenFile> {
    return writeFileAtomically(this.layout.tmpDir, this.layout.objectPath(key), source, {
      expectedBytes,
      signal,
      createParents: true,
      // Recorded before the object appears, for the version it will have, so the two appear together.
      beforeRename: (written) => writeMetadata(this.layout, key, written.etag, description),
    });
  }

  private async metaOf(key: string, etag: string, size: bigint, mtimeNs: bigint): Promise<ObjectMeta> {
    const description = await readMetadata(this.layout, key, etag);
    return { key, sizeBytes: Number(size), etag, lastModifiedMs: Number(mtimeNs / 1_000_000n), ...description };
  }

  private async requireUpload(key: string, uploadId: string, operation: string): Promise<void> {
    const upload = await readUpload(this.layout, uploadId);
    if (upload === null || upload.key !== key) throw uploadGone(key, uploadId, operation);
  }

  private async removeReplacedParts(folder: string, partNo: number, keptMd5Hex: string): Promise<void> {
    const kept = partFileName(partNo, keptMd5Hex);
    const samePart = partFileName(partNo, '');
    for (const name of await readdir(folder).catch(() => [])) {
      if (name !== kept && name.startsWith(samePart)) await rm(join(folder, name), { force: true });
    }
  }

  /** Removes folders the deleted object leaves empty, up to (not including) the root. */
  private async pruneEmptyFolders(folder: string): Promise<void> {
    const rootWithSep = this.layout.root.endsWith(sep) ? this.layout.root : this.layout.root + sep;
    for (let current = folder; current.startsWith(rootWithSep); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or not ours to remove): stop climbing
      }
    }
  }

  private failure(error: unknown, operation: string, key: string | undefined, signal?: AbortSignal): TierdropError {
    const aborted = abortedFailure(signal, `Cannot ${operation} "${printable(key ?? '')}" in ${this.layout.root}`, error);
    if (aborted !== null) return aborted;
    if (error instanceof LengthMismatchError) {
      return new TierdropError('invalid_input', `Cannot ${operation} "${printable(key ?? '')}": ${error.message}.`, { cause: error });
    }
    return fsError(error, key === undefined ? { operation, root: this.layout.root } : { operation, key, root: this.layout.root });
  }
}

function describe(contentType: string | undefined, metadata: Record<string, string> | undefined): ObjectDescription {
  return contentType === undefined ? { metadata: { ...metadata } } : { contentType, metadata: { ...metadata } };
}

function bodySource(body: Body, signal: AbortSignal | undefined): Buffer | AsyncIterable<Buffer | Uint8Array> {
  if (Buffer.isBuffer(body)) return body;
  if (signal !== undefined) endOnAbort(signal, body);
  return body;
}

async function* concatenate(paths: string[]): AsyncGenerator<Buffer> {
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) {
      if (Buffer.isBuffer(chunk)) yield chunk;
    }
  }
}

function validatePartNo(partNo: number, key: string): void {
  if (!Number.isInteger(partNo) || partNo < MIN_PART_NO || partNo > MAX_PART_NO) {
    const range = `part numbers run from ${MIN_PART_NO} to ${MAX_PART_NO}`;
    throw new TierdropError('invalid_input', `Cannot upload part ${partNo} of "${printable(key)}": ${range}.`);
  }
}

/** Why the listed parts cannot be completed, or null: ascending, each uploaded with that etag. */
function partListProblem(parts: PartReceipt[], stored: Map<number, { md5Hex: string }>): string | null {
  if (parts.length === 0) return 'no parts were listed';
  let previousPartNo = 0;
  for (const part of parts) {
    if (part.partNo <= previousPartNo) {
      return `parts must be listed in ascending order without repeats (part ${part.partNo} came after part ${previousPartNo})`;
    }
    previousPartNo = part.partNo;
    const found = stored.get(part.partNo);
    if (found === undefined) return `part ${part.partNo} was never uploaded`;
    if (found.md5Hex !== unquote(part.etag)) {
      return `part ${part.partNo} in the store has etag ${found.md5Hex}, not ${part.etag} (it was uploaded again since)`;
    }
  }
  return null;
}

function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function uploadGone(key: string, uploadId: string, operation: string): TierdropError {
  return new TierdropError('not_found', `Cannot ${operation} "${printable(key)}": upload ${uploadId} does not exist (it was completed or aborted).`, {
    hint: 'Start the upload again.',
  });
}
