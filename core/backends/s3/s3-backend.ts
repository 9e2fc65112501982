// S3Backend: Amazon S3 or any S3-compatible store through @aws-sdk/client-s3. It sends each request
// once (the engine owns retries), streams bodies, and turns every failure into a TierdropError.
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
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
import { createS3Agents, createS3Client, requestTimeoutOf, resolveRegion, type S3BackendOptions } from './client.js';
import { mapS3Error, readFailure } from './errors.js';
import { LeanPut } from './lean-put.js';

/** S3 error codes that mean "no such object" on a read. */
const MISSING_OBJECT = new Set(['NoSuchKey', 'NotFound']);
/**
 * Bodies already in memory up to this size go by the lean PUT (lean-put.ts): the SDK's per-request
 * CPU is what limits small files, and a larger body is sent rarely enough for it not to matter.
 */
const LEAN_PUT_MAX_BYTES = 8 * 1024 * 1024;
/** Metadata values a header can carry as they are; others take the SDK's path. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;
/** A metadata name that is an HTTP header token (RFC 9110) as it is. */
const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export class S3Backend implements StoreBackend {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly where: string;
  private readonly crc32: boolean;
  /** Null when the bucket's endpoint needs more than SigV4 to one URL: every request takes the SDK. */
  private readonly lean: LeanPut | null;

  constructor(options: S3BackendOptions) {
    this.bucket = options.bucket;
    const region = resolveRegion(options.region);
    this.where = options.endpoint ?? `AWS ${region}`;
    this.description = `s3://${options.bucket} at ${this.where}`;
    this.crc32 = options.checksum === 'crc32';
    const agents = createS3Agents(options);
    this.client = createS3Client(options, agents);
    this.lean = LeanPut.create({
      client: this.client,
      bucket: options.bucket,
      region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      crc32: this.crc32,
      agents,
      requestTimeoutMs: requestTimeoutOf(options),
    });
  }

  async put(key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    validateKey(key, 'upload');
    const headers = Buffer.isBuffer(body) && body.length === options.contentLength ? leanHeaders(options) : null;
    if (this.lean !== null && headers !== null && Buffer.isBuffer(body)) {
      try {
        const answer = await this.lean.put({ key, body, headers, signal: options.signal });
        return { etag: this.required(answer.etag, 'ETag', 'upload', key) };
      } catch (error) {
        throw this.failure(error, 'upload', key, options.signal);
      }
    }
    try {
      const answer = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: options.contentLength,
          ContentType: options.contentType,
          Metadata: options.metadata,
          ...(this.crc32 ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
        }),
        { abortSignal: options.signal },
      );
      return { etag: this.required(answer.ETag, 'ETag', 'upload', key) };
    } catch (error) {
      throw this.failure(error, 'upload', key, options.signal);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<StoredObject | null> {
    validateKey(key, 'download');
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      const answered = answer.Body;
      if (!(answered instanceof Readable)) throw this.notS3('download', key, 'an object without a body');
      const body = withMappedErrors(answered, (error) => this.failure(error, 'download', key, signal));
      if (signal !== undefined) endOnAbort(signal, body);
      return {
        meta: {
          key,
          sizeBytes: answer.ContentLength ?? 0,
          etag: this.required(answer.ETag, 'ETag', 'download', key),
          lastModifiedMs: answer.LastModified?.getTime() ?? 0,
          ...(answer.ContentType === undefined ? {} : { contentType: answer.ContentType }),
          metadata: answer.Metadata ?? {},
        },
        body,
      };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw this.failure(error, 'download', key, signal);
    }
  }

  async head(key: string): Promise<ObjectMeta | null> {
    validateKey(key, 'look up');
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        sizeBytes: answer.ContentLength ?? 0,
        etag: this.required(answer.ETag, 'ETag', 'look up', key),
        lastModifiedMs: answer.LastModified?.getTime() ?? 0,
        ...(answer.ContentType === undefined ? {} : { contentType: answer.ContentType }),
        metadata: answer.Metadata ?? {},
      };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw this.failure(error, 'look up', key);
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key, 'delete');
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingObject(error)) return;
      throw this.failure(error, 'delete', key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    let continuationToken: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }))
        .catch((error: unknown) => {
          throw this.failure(error, 'list', `${prefix}*`);
        });
      // A web page answered with 200 parses as an empty listing; S3 always names the bucket.
      if (page.Name === undefined && page.MaxKeys === undefined) throw this.notS3('list', `${prefix}*`, 'a listing without a bucket name');
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield {
          key: item.Key,
          sizeBytes: item.Size ?? 0,
          etag: item.ETag ?? '',
          lastModifiedMs: item.LastModified?.getTime() ?? 0,
          metadata: {},
        };
      }
      continuationToken = page.IsTruncated === true ? this.required(page.NextContinuationToken, 'NextContinuationToken', 'list', prefix) : undefined;
    } while (continuationToken !== undefined);
  }

  async dispose(): Promise<void> {
    this.client.destroy();
  }

  async initiate(key: string, options: InitiateOptions = {}): Promise<string> {
    validateKey(key, 'start an upload of');
    try {
      const answer = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: options.contentType,
          Metadata: options.metadata,
          ...(this.crc32 ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
        }),
      );
      return this.required(answer.UploadId, 'UploadId', 'start an upload of', key);
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
    validateKey(key, 'upload a part of');
    const operation = `upload part ${partNo} of`;
    try {
      const answer = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNo,
          Body: body,
          ContentLength: lengthBytes,
          ...(this.crc32 ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
        }),
        { abortSignal: signal },
      );
      return {
        partNo,
        etag: this.required(answer.ETag, 'ETag', operation, key),
        sizeBytes: lengthBytes,
        checksum: answer.ChecksumCRC32 ?? null,
      };
    } catch (error) {
      throw this.failure(error, operation, key, signal);
    }
  }

  async listParts(key: string, uploadId: string): Promise<PartReceipt[]> {
    validateKey(key, 'list the parts of');
    const receipts: PartReceipt[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
        if (page.UploadId === undefined && page.Bucket === undefined) throw this.notS3('list the parts of', key, 'a listing without an upload id');
        for (const part of page.Parts ?? []) {
          if (part.PartNumber === undefined || part.ETag === undefined) continue;
          receipts.push({ partNo: part.PartNumber, etag: part.ETag, sizeBytes: part.Size ?? 0, checksum: part.ChecksumCRC32 ?? null });
        }
        marker = page.IsTruncated === true ? this.required(page.NextPartNumberMarker, 'NextPartNumberMarker', 'list the parts of', key) : undefined;
      } while (marker !== undefined);
    } catch (error) {
      throw this.failure(error, 'list the parts of', key);
    }
    return receipts.sort((a, b) => a.partNo - b.partNo);
  }

  async abort(key: string, uploadId: string): Promise<void> {
    validateKey(key, 'abort the upload of');
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      const { name, httpStatus } = readFailure(error);
      // Gone already, or a store without abort (NotImplemented, or like s3rver MethodNotAllowed):
      // there is nothing more to do, and its uploads expire or are swept on their own.
      if (name === 'NoSuchUpload' || name === 'NotImplemented' || name === 'MethodNotAllowed') return;
      if (httpStatus === 404 || httpStatus === 405 || httpStatus === 501) return;
      throw this.failure(error, 'abort the upload of', key);
    }
  }

  /**
   * S3 can answer 200 and still fail, with an <Error> body; the SDK turns that into a thrown error.
   * Whatever the store answered is returned as a CompleteError; only a missing answer is thrown.
   */
  async complete(key: string, uploadId: string, parts: PartReceipt[]): Promise<CompleteError | null> {
    validateKey(key, 'complete the upload of');
    const operation = 'complete the upload of';
    const completed: CompletedPart[] = parts.map((part) => ({
      PartNumber: part.partNo,
      ETag: part.etag,
      ...(this.crc32 && part.checksum !== null ? { ChecksumCRC32: part.checksum } : {}),
    }));
    try {
      const answer = await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }),
      );
      if (answer.ETag === undefined) return this.notS3(operation, key, 'a completion without an ETag').toInfo();
      return null;
    } catch (error) {
      const mapped = this.failure(error, operation, key);
      if (readFailure(error).httpStatus === undefined) throw mapped; // no answer: network, abort, credentials
      return mapped.toInfo();
    }
  }

  async *listUploads(prefix: string): AsyncIterable<UploadListing> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client
        .send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }))
        .catch((error: unknown) => {
          throw this.failure(error, 'list the uploads in', undefined);
        });
      if (page.Bucket === undefined && page.MaxUploads === undefined) {
        throw this.notS3('list the uploads in', `${prefix}*`, 'a listing without a bucket name');
      }
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        yield { key: upload.Key, uploadId: upload.UploadId, initiatedMs: upload.Initiated?.getTime() ?? 0 };
      }
      if (page.IsTruncated === true) {
        keyMarker = this.required(page.NextKeyMarker, 'NextKeyMarker', 'list the uploads in', prefix);
        uploadIdMarker = page.NextUploadIdMarker;
      } else {
        keyMarker = undefined;
      }
    } while (keyMarker !== undefined);
  }

  async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    validateKey(key, 'write');
    try {
      if (this.lean !== null && value.length <= LEAN_PUT_MAX_BYTES) {
        await this.lean.put({ key, body: value, headers: expected === null ? { 'if-none-match': '*' } : { 'if-match': expected } });
      } else {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: value,
            ContentLength: value.length,
            ...(expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected }),
            ...(this.crc32 ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
          }),
        );
      }
      return 'written';
    } catch (error) {
      const mapped = this.failure(error, 'write', key);
      // If-Match on a missing object answers 404: the version we expected is gone, a conflict too.
      if (mapped.code !== 'conflict' && !(expected !== null && isMissingObject(error))) throw mapped;
    }
    // A retry of a write that already landed finds its own value: that is success.
    return (await this.holds(key, value)) ? 'written' : 'conflict';
  }

  /** True when the object at `key` has exactly the bytes of `value` (read at most that much). */
  private async holds(key: string, value: Buffer): Promise<boolean> {
    const current = await this.get(key);
    if (current === null) return false;
    if (current.meta.sizeBytes !== value.length) {
      current.body.destroy();
      return false;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of current.body) {
      if (!Buffer.isBuffer(chunk)) continue;
      received += chunk.length;
      if (received > value.length) {
        current.body.destroy();
        return false;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).equals(value);
  }

  private failure(error: unknown, operation: string, key: string | undefined, signal?: AbortSignal): TierdropError {
    const aborted = abortedFailure(signal, `Cannot ${operation} "${printable(key ?? '')}" in s3://${this.bucket}`, error);
    if (aborted !== null) return aborted;
    const context = { operation, bucket: this.bucket, endpoint: this.where };
    return mapS3Error(error, key === undefined ? context : { ...context, key });
  }

  private notS3(operation: string, key: string, what: string): TierdropError {
    const doing = `Cannot ${operation} "${printable(key)}" in s3://${this.bucket}`;
    return new TierdropError('store_error', `${doing}: the store answered something that is not S3 (${what}).`, {
      retryable: true,
      hint: `Check that ${this.where} is an S3-compatible endpoint.`,
    });
  }

  private required<T>(value: T | undefined, field: string, operation: string, key: string): T {
    if (value === undefined) throw this.notS3(operation, key, `an answer without ${field}`);
    return value;
  }
}

/** The headers of a lean PUT for these options, or null when they need the SDK (too large, odd metadata). */
function leanHeaders(options: PutOptions): Record<string, string> | null {
  if (options.contentLength > LEAN_PUT_MAX_BYTES) return null;
  const headers: Record<string, string> = {};
  if (options.contentType !== undefined) {
    if (!HEADER_SAFE.test(options.contentType)) return null;
    headers['content-type'] = options.contentType;
  }
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!HEADER_TOKEN.test(name) || !HEADER_SAFE.test(value)) return null;
    headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  }
  return headers;
}

/** HEAD answers carry no body, so a bare 404 is all a missing object says there. */
function isMissingObject(error: unknown): boolean {
  const { name, httpStatus } = readFailure(error);
  if (name !== undefined && MISSING_OBJECT.has(name)) return true;
  return httpStatus === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload';
}
