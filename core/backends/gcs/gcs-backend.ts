// GcsBackend: Google Cloud Storage through @google-cloud/storage (metadata, listing, compose,
// delete) and our own streaming transport for the requests that carry bytes. Each request is sent
// once (the engine owns retries) and every failure becomes a TierdropError.
//
// Multipart uploads are parallel composite uploads, not the XML multipart API. Why:
// - The library speaks the JSON API; the XML multipart API is reachable through it only via
//   TransferManager's internal helper (whose partsMap resume re-sends from the wrong offset), so
//   it would mean a second, hand-signed protocol with its own error format, and a second surface
//   in the test server, for the same bytes.
// - A part here is an ordinary object under a reserved prefix: durable, listable (listParts is a
//   listing, so a crash or another machine can resume from the store), with a generation that is
//   the part's receipt. complete() composes with `ifGenerationMatch` on every source, so a part
//   re-sent since the receipt was journalled is caught instead of assembled.
// - The numbering is ours (1–10,000, as the engine plans for S3), with no minimum part size.
// The price, accepted: the object is a composite (CRC32C but no MD5 in its metadata); each part
// and each compose is a Class A operation; 10,000 parts take 313 + 10 + 1 composes in three
// rounds of at most 32 sources; temporaries need storage.objects.delete to be cleaned up, and a
// bucket with soft delete keeps deleted temporaries for its retention window.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Bucket } from '@google-cloud/storage';
import type { ErrorCode } from '../../contract/index.js';
import { TierdropError } from '../../errors/index.js';
import { abortedFailure, endOnAbort } from '../abort.js';
import { withMappedErrors } from '../body-errors.js';
import { printable, validateKey } from '../keys.js';
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
import { createGcsClient, type GcsBackendOptions } from './client.js';
import { isObjectMissing, mapGcsError, readGcsFailure } from './errors.js';
import {
  composeGroups,
  intermediateName,
  isReservedName,
  isUploadId,
  MANIFEST_FIELDS,
  manifestName,
  MAX_COMPOSE_SOURCES,
  MAX_PART_NO,
  MIN_PART_NO,
  partName,
  partNoOf,
  RESERVED_PREFIX,
  uploadFolder,
  uploadIdOfManifest,
} from './layout.js';
import { mapLimit, withDeadline } from './pool.js';
import { GcsTransport } from './transport.js';

const DEFAULT_MAX_SOCKETS = 16; // parts in flight plus a few listing and metadata requests
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000; // idle socket; the engine's stall timer is usually first
const COMPOSE_CONCURRENCY = 8; // composes of one round at once: metadata work for the store
const DELETE_CONCURRENCY = 16; // temporaries deleted at once after complete or abort
const PAGE_SIZE = 1000; // the JSON API's largest page

/** Failures where the store said nothing about the upload: complete() throws these. */
const NO_ANSWER_CODES = new Set<ErrorCode>(['unreachable', 'invalid_credentials', 'paused', 'stalled']);

type Resource = Record<string, unknown>;

interface Manifest {
  key: string;
  initiatedMs: number;
  contentType: string | undefined;
  metadata: Record<string, string>;
  completedGeneration: string | null;
}

interface ComposeSource {
  name: string;
  generation: string;
  /** For messages: 'part 3' or 'parts 1–32'. */
  label: string;
}

export class GcsBackend implements StoreBackend {
  readonly description: string;
  private readonly bucketName: string;
  private readonly bucket: Bucket;
  private readonly transport: GcsTransport;
  private readonly where: string;
  private readonly requestTimeoutMs: number;

  constructor(options: GcsBackendOptions) {
    const client = createGcsClient(options);
    this.bucketName = options.bucket;
    this.bucket = client.storage.bucket(options.bucket);
    this.where = options.endpoint === undefined ? 'Google Cloud Storage' : client.endpoint;
    this.description = `gs://${options.bucket} at ${this.where}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.transport = new GcsTransport(client.endpoint, client.authHeaders, {
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }

  // ------------------------------------------------------------------------------------ objects

  async put(key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    this.validateUserKey(key, 'upload');
    const resource = await this.upload(key, body, options.contentLength, {
      operation: 'upload',
      signal: options.signal,
      fields: { ...(options.contentType === undefined ? {} : { contentType: options.contentType }), metadata: { ...options.metadata } },
    });
    return { etag: this.generationOf(resource, 'upload', key) };
  }

  async get(key: string, signal?: AbortSignal): Promise<StoredObject | null> {
    validateKey(key, 'download');
    // Metadata first (custom metadata is not in the media answer), then the data of exactly that
    // generation; if it was replaced in between, read the new one.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const resource = await this.resource(key, 'download');
      if (resource === null) return null;
      const generation = this.generationOf(resource, 'download', key);
      const answered = await this.transport.download(this.bucketName, key, generation, signal).catch((error: unknown) => {
        throw this.failure(error, 'download', key, signal);
      });
      if (answered === null) continue;
      const body = withMappedErrors(answered, (error) => this.failure(error, 'download', key, signal));
      if (signal !== undefined) endOnAbort(signal, body);
      return { meta: this.metaOf(resource, key), body };
    }
    return null;
  }

  async head(key: string): Promise<ObjectMeta | null> {
    validateKey(key, 'look up');
    const resource = await this.resource(key, 'look up');
    return resource === null ? null : this.metaOf(resource, key);
  }

  async delete(key: string): Promise<void> {
    validateKey(key, 'delete');
    await this.deleteName(key, 'delete', key);
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    for await (const page of this.pages({ prefix }, 'list', `${prefix}*`)) {
      for (const item of page.items) {
        const name = item['name'];
        // Tierdrop's own unfinished uploads are not objects of the destination.
        if (typeof name !== 'string' || isReservedName(name)) continue;
        yield { ...this.metaOf(item, name), metadata: {} };
      }
    }
  }

  async dispose(): Promise<void> {
    this.transport.dispose();
  }

  // ------------------------------------------------------------------------------------ multipart

  async initiate(key: string, options: InitiateOptions = {}): Promise<string> {
    this.validateUserKey(key, 'start an upload of');
    const uploadId = randomUUID();
    const initiatedMs = Date.now();
    const manifest = {
      [MANIFEST_FIELDS.key]: key,
      [MANIFEST_FIELDS.initiatedMs]: String(initiatedMs),
      ...(options.contentType === undefined ? {} : { [MANIFEST_FIELDS.contentType]: options.contentType }),
      [MANIFEST_FIELDS.metadata]: JSON.stringify(options.metadata ?? {}),
    };
    const body = Buffer.from(JSON.stringify({ key, initiatedMs, contentType: options.contentType, metadata: options.metadata ?? {} }));
    await this.upload(manifestName(uploadId), body, body.length, {
      operation: 'start an upload of',
      key,
      fields: { contentType: 'application/json', metadata: manifest },
      query: { ifGenerationMatch: '0' }, // a fresh id: never overwrite another upload's manifest
    });
    return uploadId;
  }

  async uploadPart(key: string, uploadId: string, partNo: number, body: Body, lengthBytes: number, signal?: AbortSignal): Promise<PartReceipt> {
    validateKey(key, 'upload a part of');
    const operation = `upload part ${partNo} of`;
    if (!Number.isInteger(partNo) || partNo < MIN_PART_NO || partNo > MAX_PART_NO) {
      throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": part numbers run from ${MIN_PART_NO} to ${MAX_PART_NO}.`);
    }
    await this.requireUpload(key, uploadId, operation);
    // The part names its key too, so a part that outlives its manifest can still be listed and swept.
    const resource = await this.upload(partName(uploadId, partNo), body, lengthBytes, { operation, key, signal, fields: { metadata: { [MANIFEST_FIELDS.key]: key } } });
    const crc32c = resource['crc32c'];
    return {
      partNo,
      etag: this.generationOf(resource, operation, key),
      sizeBytes: lengthBytes,
      checksum: typeof crc32c === 'string' ? crc32c : null,
    };
  }

  async listParts(key: string, uploadId: string): Promise<PartReceipt[]> {
    validateKey(key, 'list the parts of');
    const operation = 'list the parts of';
    await this.requireUpload(key, uploadId, operation);
    const receipts: PartReceipt[] = [];
    for await (const page of this.pages({ prefix: uploadFolder(uploadId) }, operation, key)) {
      for (const item of page.items) {
        const name = item['name'];
        const partNo = typeof name === 'string' ? partNoOf(uploadId, name) : null;
        if (partNo === null) continue;
        const crc32c = item['crc32c'];
        receipts.push({
          partNo,
          etag: this.generationOf(item, operation, key),
          sizeBytes: Number(item['size'] ?? 0),
          checksum: typeof crc32c === 'string' ? crc32c : null,
        });
      }
    }
    return receipts.sort((a, b) => a.partNo - b.partNo);
  }

  async abort(key: string, uploadId: string): Promise<void> {
    validateKey(key, 'abort the upload of');
    if (!isUploadId(uploadId)) return;
    const manifest = await this.readManifest(uploadId, 'abort the upload of', key);
    // A manifest for another key means the caller mixed ids up: like S3, leave that upload alone.
    if (manifest !== null && manifest.key !== key) return;
    await this.removeUpload(uploadId, 'abort the upload of', key);
  }

  async complete(key: string, uploadId: string, parts: PartReceipt[]): Promise<CompleteError | null> {
    validateKey(key, 'complete the upload of');
    const operation = 'complete the upload of';
    try {
      const manifest = isUploadId(uploadId) ? await this.readManifest(uploadId, operation, key) : null;
      if (manifest === null || manifest.key !== key) return uploadGone(key, uploadId, operation).toInfo();
      if (manifest.completedGeneration !== null) {
        // A retry after an answer that was lost, or after a failed cleanup: the object is assembled,
        // only cleanup remains, and it is answered like the first attempt's (see below).
        const current = await this.resource(key, operation);
        if (current !== null && current['generation'] === manifest.completedGeneration) {
          await this.removeUpload(uploadId, operation, key);
          return null;
        }
      }
      const problem = partListProblem(parts);
      if (problem !== null) return partsRejected(key, problem);

      let level: ComposeSource[] = parts.map((part) => ({ name: partName(uploadId, part.partNo), generation: part.etag, label: `part ${part.partNo}` }));
      for (let round = 1; level.length > MAX_COMPOSE_SOURCES; round += 1) {
        level = await mapLimit(composeGroups(level), COMPOSE_CONCURRENCY, async (group, index) => {
          const name = intermediateName(uploadId, round, index);
          const fields = { contentType: 'application/octet-stream', metadata: { [MANIFEST_FIELDS.key]: key } };
          const composed = await this.compose(name, group, fields, operation, key);
          return { name, generation: this.generationOf(composed, operation, key), label: spanLabel(group) };
        });
      }
      const assembled = await this.compose(
        key,
        level,
        { ...(manifest.contentType === undefined ? {} : { contentType: manifest.contentType }), metadata: manifest.metadata },
        operation,
        key,
      );
      // Recorded before cleanup, so a retry of this call knows the object is already in place. If it
      // cannot be recorded, no part is deleted: the retry composes the same parts again.
      const generation = this.generationOf(assembled, operation, key);
      await this.deadline(
        this.bucket.file(manifestName(uploadId)).setMetadata({ metadata: { [MANIFEST_FIELDS.completedGeneration]: generation } }),
        operation,
        key,
      );
      // A failed cleanup is a failed complete, so the caller retries it (the retry only cleans up):
      // answering success would record the upload done and leave its temporaries in the bucket for
      // good, since a done upload is never completed again and sweeping keeps a referenced revision's.
      await this.removeUpload(uploadId, operation, key);
      return null;
    } catch (error) {
      const mapped = this.failure(error, operation, key);
      // No answer at all (network, credentials): thrown like S3's, so the engine can tell it from
      // what the store said about this upload.
      if (NO_ANSWER_CODES.has(mapped.code) || (!(error instanceof TierdropError) && readGcsFailure(error).status === undefined)) throw mapped;
      return mapped.toInfo();
    }
  }

  async *listUploads(prefix: string): AsyncIterable<UploadListing> {
    const operation = 'list the uploads in';
    const found: UploadListing[] = [];
    const withManifest = new Set<string>();
    const folders: string[] = [];
    for await (const page of this.pages({ prefix: RESERVED_PREFIX, delimiter: '/' }, operation, undefined)) {
      for (const item of page.items) {
        const name = item['name'];
        const uploadId = typeof name === 'string' ? uploadIdOfManifest(name) : null;
        if (uploadId === null) continue;
        withManifest.add(uploadId);
        const manifest = manifestOf(item);
        if (manifest !== null && manifest.key.startsWith(prefix)) found.push({ key: manifest.key, uploadId, initiatedMs: manifest.initiatedMs });
      }
      folders.push(...page.prefixes);
    }
    // Parts whose manifest is gone (a part that landed after abort, a crash mid-cleanup) are an
    // upload too, so sweeping removes them; each part names its key.
    for (const folder of folders) {
      const uploadId = uploadIdOfManifest(folder.replace(/\/$/, ''));
      if (uploadId === null || withManifest.has(uploadId)) continue;
      const first = await this.firstItem(folder, operation);
      const key = first === null ? undefined : stringMap(first['metadata'])[MANIFEST_FIELDS.key];
      const created = first?.['timeCreated'];
      if (key !== undefined && key.startsWith(prefix)) found.push({ key, uploadId, initiatedMs: typeof created === 'string' ? Date.parse(created) : 0 });
    }
    // S3's order: by key, then oldest first.
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || a.initiatedMs - b.initiatedMs);
    yield* found;
  }

  // ------------------------------------------------------------------------------------ compare-and-write

  async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    this.validateUserKey(key, 'write');
    // The version is the generation; anything else (an etag from another store) cannot match.
    if (expected === null || /^\d+$/.test(expected)) {
      try {
        await this.upload(key, value, value.length, { operation: 'write', key, fields: {}, query: { ifGenerationMatch: expected ?? '0' } });
        return 'written';
      } catch (error) {
        if (!(error instanceof TierdropError) || error.code !== 'conflict') throw error;
      }
    }
    // A retry of a write that already landed finds its own value: that is success.
    return (await this.holds(key, value)) ? 'written' : 'conflict';
  }

  // ------------------------------------------------------------------------------------ private

  /** One multipart upload request; the MD5 is checked by the store (buffers) or against its answer (streams). */
  private async upload(
    name: string,
    body: Body,
    lengthBytes: number,
    how: { operation: string; key?: string; signal?: AbortSignal | undefined; fields: Resource; query?: Record<string, string> },
  ): Promise<Resource> {
    const key = how.key ?? name;
    const md5 = createHash('md5');
    let sentBytes = 0;
    let source: Buffer | Readable;
    if (Buffer.isBuffer(body)) {
      if (body.length !== lengthBytes) throw lengthMismatch(how.operation, key, body.length, lengthBytes);
      source = body;
    } else {
      if (how.signal !== undefined) endOnAbort(how.signal, body);
      source = Readable.from(counted(body, lengthBytes, (chunk) => {
        md5.update(chunk);
        sentBytes += chunk.length;
      }, () => lengthMismatch(how.operation, key, sentBytes, lengthBytes)), { objectMode: false });
    }
    const fields = Buffer.isBuffer(body) ? { ...how.fields, md5Hash: createHash('md5').update(body).digest('base64') } : how.fields;
    let resource: Resource;
    try {
      resource = await this.transport.upload({
        bucket: this.bucketName,
        name,
        resource: fields,
        body: source,
        lengthBytes,
        ...(how.query === undefined ? {} : { query: how.query }),
        ...(how.signal === undefined ? {} : { signal: how.signal }),
      });
    } catch (error) {
      throw this.failure(error, how.operation, key, how.signal);
    }
    if (!Buffer.isBuffer(body)) {
      const stored = resource['md5Hash'];
      if (typeof stored === 'string' && stored !== md5.digest('base64')) {
        throw new TierdropError('store_error', `Cannot ${how.operation} "${printable(key)}" in gs://${this.bucketName}: the store received different bytes than were sent (MD5 mismatch).`, {
          retryable: true,
        });
      }
    }
    return resource;
  }

  /** The object's resource, or null when there is no such object. */
  private async resource(name: string, operation: string, key: string = name): Promise<Resource | null> {
    try {
      const [metadata] = await this.deadline(this.bucket.file(name).getMetadata(), operation, key);
      return asResource(metadata);
    } catch (error) {
      const failure = readGcsFailure(error);
      if (isObjectMissing(failure)) return null;
      throw this.failure(error, operation, key);
    }
  }

  private async deleteName(name: string, operation: string, key: string): Promise<void> {
    try {
      await this.deadline(this.bucket.file(name).delete({ ignoreNotFound: true }), operation, key);
    } catch (error) {
      const failure = readGcsFailure(error);
      if (isObjectMissing(failure)) return;
      throw this.failure(error, operation, key);
    }
  }

  /** Listing pages as raw resources; the library's File objects add nothing we use. */
  private async *pages(query: { prefix: string; delimiter?: string }, operation: string, key: string | undefined): AsyncGenerator<{ items: Resource[]; prefixes: string[] }> {
    let pageToken: string | undefined;
    do {
      let answer: unknown;
      try {
        const response = await this.deadline(
          this.bucket.getFiles({ ...query, autoPaginate: false, maxResults: PAGE_SIZE, ...(pageToken === undefined ? {} : { pageToken }) }),
          operation,
          key ?? query.prefix,
        );
        answer = response[2];
      } catch (error) {
        throw this.failure(error, operation, key);
      }
      const page = asResource(answer);
      // A web page answered with 200 is not a listing; GCS always says what kind of answer it is.
      if (page === null || page['kind'] !== 'storage#objects') throw this.notGcs(operation, key ?? query.prefix, 'a listing that is not storage#objects');
      const items = Array.isArray(page['items']) ? page['items'].map(asResource).filter((item): item is Resource => item !== null) : [];
      const prefixes = Array.isArray(page['prefixes']) ? page['prefixes'].filter((entry): entry is string => typeof entry === 'string') : [];
      yield { items, prefixes };
      const next = page['nextPageToken'];
      pageToken = typeof next === 'string' && next !== '' ? next : undefined;
    } while (pageToken !== undefined);
  }

  private async firstItem(prefix: string, operation: string): Promise<Resource | null> {
    try {
      const response = await this.deadline(this.bucket.getFiles({ prefix, autoPaginate: false, maxResults: 1 }), operation, prefix);
      const page = asResource(response[2]);
      const items = page?.['items'];
      return Array.isArray(items) ? asResource(items[0]) : null;
    } catch (error) {
      throw this.failure(error, operation, undefined);
    }
  }

  private async compose(destination: string, sources: ComposeSource[], fields: Resource, operation: string, key: string): Promise<Resource> {
    try {
      const [body] = await this.deadline(
        this.bucket.file(destination).request({
          method: 'POST',
          uri: '/compose',
          json: {
            kind: 'storage#composeRequest',
            destination: fields,
            sourceObjects: sources.map((source) => ({ name: source.name, objectPreconditions: { ifGenerationMatch: source.generation } })),
          },
        }),
        operation,
        key,
      );
      const resource = asResource(body);
      if (resource === null) throw this.notGcs(operation, key, 'a compose answer that is not an object');
      return resource;
    } catch (error) {
      if (error instanceof TierdropError) throw error;
      const failure = readGcsFailure(error);
      const span = spanLabel(sources);
      if (failure.status === 412) {
        throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": ${span} in the store is not the one uploaded (it was uploaded again since).`, {
          hint: 'List the parts again and upload the missing ones.',
          cause: error,
        });
      }
      if (isObjectMissing(failure)) {
        throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": ${span} was never uploaded or is gone.`, {
          hint: 'List the parts again and upload the missing ones.',
          cause: error,
        });
      }
      throw this.failure(error, operation, key);
    }
  }

  private async readManifest(uploadId: string, operation: string, key: string): Promise<Manifest | null> {
    const resource = await this.resource(manifestName(uploadId), operation, key);
    return resource === null ? null : manifestOf(resource);
  }

  private async requireUpload(key: string, uploadId: string, operation: string): Promise<void> {
    const manifest = isUploadId(uploadId) ? await this.readManifest(uploadId, operation, key) : null;
    if (manifest === null || manifest.key !== key || manifest.completedGeneration !== null) throw uploadGone(key, uploadId, operation);
  }

  /** Deletes an upload's parts and intermediates, then its manifest, then anything that landed meanwhile. */
  private async removeUpload(uploadId: string, operation: string, key: string): Promise<void> {
    const sweep = async (): Promise<void> => {
      const names: string[] = [];
      for await (const page of this.pages({ prefix: uploadFolder(uploadId) }, operation, key)) {
        for (const item of page.items) if (typeof item['name'] === 'string') names.push(item['name']);
      }
      await mapLimit(names, DELETE_CONCURRENCY, (name) => this.deleteName(name, operation, key));
    };
    await sweep();
    await this.deleteName(manifestName(uploadId), operation, key);
    await sweep();
  }

  /** True when the object at `key` has exactly the bytes of `value`. */
  private async holds(key: string, value: Buffer): Promise<boolean> {
    const resource = await this.resource(key, 'write');
    if (resource === null || Number(resource['size']) !== value.length) return false;
    const md5 = resource['md5Hash'];
    if (typeof md5 === 'string') return md5 === createHash('md5').update(value).digest('base64');
    const current = await this.get(key); // a composite has no MD5: compare the bytes
    if (current === null) return false;
    const chunks: Buffer[] = [];
    for await (const chunk of current.body) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
    return Buffer.concat(chunks).equals(value);
  }

  private metaOf(resource: Resource, key: string): ObjectMeta {
    const contentType = resource['contentType'];
    const updated = resource['updated'];
    return {
      key,
      sizeBytes: Number(resource['size'] ?? 0),
      etag: this.generationOf(resource, 'look up', key),
      lastModifiedMs: typeof updated === 'string' ? Date.parse(updated) : 0,
      ...(typeof contentType === 'string' ? { contentType } : {}),
      metadata: stringMap(resource['metadata']),
    };
  }

  private generationOf(resource: Resource, operation: string, key: string): string {
    const generation = resource['generation'];
    if (typeof generation === 'string' && /^\d+$/.test(generation)) return generation;
    if (typeof generation === 'number' && Number.isSafeInteger(generation)) return String(generation);
    throw this.notGcs(operation, key, 'an object without a generation');
  }

  private validateUserKey(key: string, operation: string): void {
    validateKey(key, operation);
    if (isReservedName(key)) {
      throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": keys under ${RESERVED_PREFIX} hold Tierdrop's unfinished uploads.`, {
        hint: 'Choose another key.',
      });
    }
  }

  private deadline<T>(promise: Promise<T>, operation: string, key: string): Promise<T> {
    return withDeadline(
      promise,
      this.requestTimeoutMs,
      () =>
        new TierdropError('store_error', `Cannot ${operation} "${printable(key)}" in gs://${this.bucketName}: ${this.where} did not answer in ${Math.round(this.requestTimeoutMs / 1000)} s.`, {
          retryable: true,
        }),
    );
  }

  private failure(error: unknown, operation: string, key: string | undefined, signal?: AbortSignal): TierdropError {
    const aborted = abortedFailure(signal, `Cannot ${operation} "${printable(key ?? '')}" in gs://${this.bucketName}`, error);
    if (aborted !== null) return aborted;
    const context = { operation, bucket: this.bucketName, endpoint: this.where };
    return mapGcsError(error, key === undefined ? context : { ...context, key });
  }

  private notGcs(operation: string, key: string, what: string): TierdropError {
    return new TierdropError('store_error', `Cannot ${operation} "${printable(key)}" in gs://${this.bucketName}: the store answered something that is not GCS (${what}).`, {
      retryable: true,
      hint: `Check that ${this.where} is a Google Cloud Storage JSON API endpoint.`,
    });
  }
}

/** Passes a body on while counting it; a body longer or shorter than declared fails the request. */
async function* counted(body: Readable, lengthBytes: number, onChunk: (chunk: Buffer) => void, mismatch: () => Error): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of body) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    seen += piece.length;
    onChunk(piece);
    if (seen > lengthBytes) throw mismatch();
    yield piece;
  }
  if (seen !== lengthBytes) throw mismatch();
}

function lengthMismatch(operation: string, key: string, actual: number, declared: number): TierdropError {
  return new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": the body had ${actual} bytes where ${declared} were declared.`);
}

function manifestOf(resource: Resource): Manifest | null {
  const fields = stringMap(resource['metadata']);
  const key = fields[MANIFEST_FIELDS.key];
  if (key === undefined) return null;
  let metadata: Record<string, string> = {};
  try {
    metadata = stringMap(JSON.parse(fields[MANIFEST_FIELDS.metadata] ?? '{}'));
  } catch {
    // A damaged manifest still names its key, so it can be listed and swept.
  }
  return {
    key,
    initiatedMs: Number(fields[MANIFEST_FIELDS.initiatedMs] ?? 0),
    contentType: fields[MANIFEST_FIELDS.contentType],
    metadata,
    completedGeneration: fields[MANIFEST_FIELDS.completedGeneration] ?? null,
  };
}

/** Why the listed parts cannot be completed, or null: ascending, no repeats, receipts from this store. */
function partListProblem(parts: PartReceipt[]): string | null {
  if (parts.length === 0) return 'no parts were listed';
  let previous = 0;
  for (const part of parts) {
    if (part.partNo <= previous) return `parts must be listed in ascending order without repeats (part ${part.partNo} came after part ${previous})`;
    previous = part.partNo;
    if (!/^\d+$/.test(part.etag)) return `part ${part.partNo} has receipt ${part.etag}, which is not a generation from this store`;
  }
  return null;
}

function partsRejected(key: string, problem: string): CompleteError {
  return {
    code: 'invalid_input',
    message: `Cannot complete the upload of "${printable(key)}": ${problem}.`,
    retryable: false,
    hint: 'List the parts again and upload the missing ones.',
  };
}

function spanLabel(sources: readonly ComposeSource[]): string {
  const first = sources[0]?.label ?? '';
  const last = sources[sources.length - 1]?.label ?? '';
  return sources.length <= 1 ? first : `one of ${first} to ${last}`;
}

function uploadGone(key: string, uploadId: string, operation: string): TierdropError {
  return new TierdropError('not_found', `Cannot ${operation} "${printable(key)}": upload ${uploadId} does not exist (it was completed or aborted).`, {
    hint: 'Start the upload again.',
  });
}

function asResource(value: unknown): Resource | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : null;
}

function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return map;
  for (const [field, entry] of Object.entries(value)) {
    if (typeof entry === 'string') map[field] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') map[field] = String(entry);
  }
  return map;
}
