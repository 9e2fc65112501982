// The client's claims about an upload's bytes, checked against what arrived: md5Hash / crc32c in
// the metadata, or an `x-goog-hash: crc32c=…,md5=…` header. A mismatch stores nothing (400).
import type { IncomingHttpHeaders } from 'node:http';
import type { ReceivedBody } from './body.js';
import { crc32cBase64 } from './crc32c.js';
import { invalid } from './errors.js';

export interface ClaimedHashes {
  md5?: string;
  crc32c?: string;
}

export function hashesFromHeader(headers: IncomingHttpHeaders): ClaimedHashes {
  const raw = headers['x-goog-hash'];
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const claimed: ClaimedHashes = {};
  for (const item of text.split(',')) {
    const equals = item.indexOf('=');
    if (equals < 0) continue;
    const name = item.slice(0, equals).trim().toLowerCase();
    const value = item.slice(equals + 1).trim();
    if (name === 'md5') claimed.md5 = value;
    else if (name === 'crc32c') claimed.crc32c = value;
  }
  return claimed;
}

export function hashesFromMetadata(metadata: Record<string, unknown>): ClaimedHashes {
  const claimed: ClaimedHashes = {};
  if (typeof metadata['md5Hash'] === 'string') claimed.md5 = metadata['md5Hash'];
  if (typeof metadata['crc32c'] === 'string') claimed.crc32c = metadata['crc32c'];
  return claimed;
}

export function verifyHashes(received: ReceivedBody, ...claims: ClaimedHashes[]): void {
  const md5 = received.md5.toString('base64');
  const crc32c = crc32cBase64(received.crc32c);
  for (const claim of claims) {
    if (claim.md5 !== undefined && claim.md5 !== md5) {
      throw invalid(`Provided MD5 hash "${claim.md5}" doesn't match calculated MD5 hash "${md5}".`);
    }
    if (claim.crc32c !== undefined && claim.crc32c !== crc32c) {
      throw invalid(`Provided CRC32C "${claim.crc32c}" doesn't match calculated CRC32C "${crc32c}".`);
    }
  }
}
