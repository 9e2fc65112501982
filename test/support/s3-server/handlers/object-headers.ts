// The headers an object is stored with and answered with: content type and representation headers,
// x-amz-meta-* user metadata, ETag, Last-Modified and flexible checksums.
import type { IncomingHttpHeaders } from 'node:http';
import { checksumHeaderName, type ChecksumAlgorithm, type ChecksumValues } from '../checksums.js';
import { S3Error } from '../errors.js';
import type { ObjectRecord } from '../records.js';

export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream'; // what S3 stores when the client names none
const MAX_KEY_BYTES = 1024; // S3's limit on a key's UTF-8 length
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
const META_PREFIX = 'x-amz-meta-';

export function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', undefined, {
      fields: { Size: Buffer.byteLength(key), MaxSizeAllowed: MAX_KEY_BYTES },
    });
  }
}

/** Content type, representation headers and user metadata of a write, as stored with the object. */
export function objectDescription(headers: IncomingHttpHeaders): Pick<ObjectRecord, 'contentType' | 'headers' | 'metadata'> {
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = text(headers[name]);
    // aws-chunked describes the transfer, not the object; S3 drops it.
    if (name === 'content-encoding') {
      value = value
        ?.split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '' && part !== 'aws-chunked')
        .join(',');
    }
    if (value !== undefined && value !== '') stored[name] = value;
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(META_PREFIX) && value !== undefined) metadata[name.slice(META_PREFIX.length)] = text(value) ?? '';
  }
  return { contentType: text(headers['content-type']) ?? DEFAULT_CONTENT_TYPE, headers: stored, metadata };
}

/** Headers of a GET or HEAD answer, before range and checksum. */
export function objectResponseHeaders(record: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: record.etag,
    'Last-Modified': new Date(record.lastModifiedMs).toUTCString(),
    'Content-Type': record.contentType,
    'Accept-Ranges': 'bytes',
    ...record.headers,
  };
  for (const [name, value] of Object.entries(record.metadata)) headers[`${META_PREFIX}${name}`] = value;
  return headers;
}

/** `x-amz-checksum-<alg>` headers for the given checksums. */
export function checksumHeaders(
  checksums: ChecksumValues,
  algorithms: readonly ChecksumAlgorithm[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const algorithm of algorithms) {
    const value = checksums[algorithm];
    if (value !== undefined) headers[checksumHeaderName(algorithm)] = value;
  }
  return headers;
}

export function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
