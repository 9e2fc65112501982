// What a request's headers say about its body, read before a byte of it: its length, whether it is
// aws-chunked (signed or not), which digests the client vouches for and where they will arrive.
import type { IncomingHttpHeaders } from 'node:http';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums.js';
import { S3Error } from './errors.js';
import type { Authentication, ChunkSigning } from './sigv4.js';

export interface BodyPlan {
  /** Payload length the client declared (decoded length for aws-chunked). */
  declaredBytes: number;
  awsChunked: boolean;
  signing: ChunkSigning | null;
  /** Hex SHA-256 the payload must have (a signed x-amz-content-sha256), or null. */
  sha256Hex: string | null;
  contentMd5: Buffer | null;
  /** The checksum the client sends: its value now (header) or null when it comes in the trailer. */
  checksum: { algorithm: ChecksumAlgorithm; headerValue: string | null } | null;
  maxBytes: number;
}

const STREAMING_MODES = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);
const NOT_A_CHECKSUM = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode']);

/** Reads the headers that describe the body; refuses what S3 would refuse before reading it. */
export function planBody(headers: IncomingHttpHeaders, auth: Authentication, maxBytes: number): BodyPlan {
  const encodings = headerText(headers['content-encoding'])
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase());
  const streaming = auth.payloadHash.startsWith('STREAMING-');
  if (streaming && !STREAMING_MODES.has(auth.payloadHash)) {
    throw new S3Error('NotImplemented', `x-amz-content-sha256 ${auth.payloadHash} is not supported.`);
  }
  const awsChunked = streaming || encodings.includes('aws-chunked');

  const lengthHeader = awsChunked ? headers['x-amz-decoded-content-length'] : headers['content-length'];
  const declaredText = headerText(lengthHeader);
  if (declaredText === '' && (awsChunked || headers['transfer-encoding'] !== undefined)) {
    throw new S3Error('MissingContentLength');
  }
  const declaredBytes = declaredText === '' ? 0 : Number(declaredText);
  if (!Number.isSafeInteger(declaredBytes) || declaredBytes < 0) {
    throw new S3Error('InvalidArgument', `Invalid length ${declaredText}.`);
  }
  if (declaredBytes > maxBytes) {
    throw new S3Error('EntityTooLarge', undefined, {
      fields: { ProposedSize: declaredBytes, MaxSizeAllowed: maxBytes },
    });
  }

  return {
    declaredBytes,
    awsChunked,
    signing: auth.chunkSigning,
    sha256Hex: /^[0-9a-f]{64}$/i.test(auth.payloadHash) ? auth.payloadHash.toLowerCase() : null,
    contentMd5: parseContentMd5(headers['content-md5']),
    checksum: declaredChecksum(headers, awsChunked),
    maxBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Headers

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function parseContentMd5(value: string | string[] | undefined): Buffer | null {
  if (value === undefined) return null;
  const digest = Buffer.from(headerText(value).trim(), 'base64');
  if (digest.length !== 16) throw new S3Error('InvalidDigest');
  return digest;
}

function declaredChecksum(headers: IncomingHttpHeaders, awsChunked: boolean): BodyPlan['checksum'] {
  const declared: NonNullable<BodyPlan['checksum']>[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-checksum-') || NOT_A_CHECKSUM.has(name) || value === undefined) continue;
    declared.push({
      algorithm: parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length)),
      headerValue: headerText(value).trim(),
    });
  }
  const trailer = headerText(headers['x-amz-trailer']).trim().toLowerCase();
  if (trailer !== '') {
    if (!awsChunked) throw new S3Error('InvalidRequest', 'x-amz-trailer is only valid with aws-chunked bodies.');
    if (!trailer.startsWith('x-amz-checksum-')) {
      throw new S3Error('InvalidRequest', `The trailer ${trailer} is not supported.`);
    }
    declared.push({ algorithm: parseChecksumAlgorithm(trailer.slice('x-amz-checksum-'.length)), headerValue: null });
  }
  if (declared.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header.');
  return declared[0] ?? null;
}
