// The storage traits every store implements, after objectstore's Backend / MultipartUploadBackend /
// HighVolumeBackend. Backends throw TierdropError (with `retryable`) and never retry by themselves:
// the transfer engine owns retries, so it can reopen the source range and count attempts.
import type { Readable } from 'node:stream';
import type { ErrorInfo } from '../contract/index.js';

/** A request body: bytes in memory, or a one-shot stream of exactly the declared length. */
export type Body = Buffer | Readable;

export interface ObjectMeta {
  key: string;
  sizeBytes: number;
  /** Opaque version of this object; compare-and-write takes it as `expected`. */
  etag: string;
  lastModifiedMs: number;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface PutOptions {
  contentLength: number;
  contentType?: string;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

export interface StoredObject {
  meta: ObjectMeta;
  body: Readable;
}

export interface PartReceipt {
  partNo: number;
  etag: string;
  sizeBytes: number;
  /** The store's checksum of the part (base64 CRC32 where chosen), or null. */
  checksum: string | null;
}

export interface UploadListing {
  key: string;
  uploadId: string;
  initiatedMs: number;
}

export interface InitiateOptions {
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface CompleteOptions {
  /**
   * Called once the parts are assembled, before the object is made visible: a tiered store still
   * has its commit to do then (the tombstone's compare-and-write). Stores with nothing between the
   * two never call it.
   */
  onCommitting?: () => void;
}

/** A failed complete that the store reported in a successful-looking answer (S3's 200 + <Error>). */
export type CompleteError = ErrorInfo;

export interface Backend {
  /** Human description for messages, e.g. `s3://bucket at http://127.0.0.1:9000`. */
  readonly description: string;
  put(key: string, body: Body, options: PutOptions): Promise<{ etag: string }>;
  get(key: string, signal?: AbortSignal): Promise<StoredObject | null>;
  head(key: string): Promise<ObjectMeta | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<ObjectMeta>;
  /** Releases sockets, handles and timers. */
  dispose(): Promise<void>;
}

export interface MultipartUploadBackend extends Backend {
  initiate(key: string, options?: InitiateOptions): Promise<string>;
  uploadPart(
    key: string,
    uploadId: string,
    partNo: number,
    body: Body,
    lengthBytes: number,
    signal?: AbortSignal,
  ): Promise<PartReceipt>;
  /** Throws `not_found` when the upload no longer exists. */
  listParts(key: string, uploadId: string): Promise<PartReceipt[]>;
  /** Aborting an upload that is already gone (or a store without abort) is not an error. */
  abort(key: string, uploadId: string): Promise<void>;
  complete(key: string, uploadId: string, parts: PartReceipt[], options?: CompleteOptions): Promise<CompleteError | null>;
  listUploads(prefix: string): AsyncIterable<UploadListing>;
}

export interface HighVolumeBackend extends Backend {
  /**
   * Writes `value` at `key` only if the current version is `expected` (null: only if absent).
   * Idempotent: when the stored value already equals `value`, the answer is 'written'.
   */
  compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'>;
}

/** Every implementation offers all three traits; a destination decides which tier uses which. */
export type StoreBackend = MultipartUploadBackend & HighVolumeBackend;
