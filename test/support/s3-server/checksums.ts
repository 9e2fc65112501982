// The flexible checksums S3 accepts (CRC32, CRC32C, SHA1, SHA256), computed incrementally while a
// body streams, and the composite checksum S3 gives a multipart object (checksum of part checksums).
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error } from './errors.js';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Base64 checksum values by algorithm. */
export type ChecksumValues = Partial<Record<ChecksumAlgorithm, string>>;

export interface IncrementalChecksum {
  update(data: Buffer): void;
  digest(): Buffer;
}

/** Parses an algorithm name as S3 spells it in headers and XML (any case); others are refused. */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm {
  const upper = name.trim().toUpperCase();
  const known = CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === upper);
  if (known === undefined) {
    throw new S3Error('InvalidArgument', `Checksum algorithm ${name} is not supported by this test server.`, {
      fields: { ArgumentName: 'x-amz-checksum-algorithm', ArgumentValue: name },
    });
  }
  return known;
}

/** `x-amz-checksum-crc32` for CRC32: the request/response header (and trailer) name. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function createChecksum(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  switch (algorithm) {
    case 'CRC32':
      return crcChecksum((data, value) => crc32(data, value));
    case 'CRC32C':
      return crcChecksum(crc32c);
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (data) => hash.update(data), digest: () => hash.digest() };
    }
  }
}

export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digest().toString('base64');
}

/** S3's COMPOSITE multipart checksum: the checksum of the concatenated binary part checksums, `-N`. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: readonly string[]): string {
  const checksum = createChecksum(algorithm);
  for (const part of partChecksums) checksum.update(Buffer.from(part, 'base64'));
  return `${checksum.digest().toString('base64')}-${partChecksums.length}`;
}

function crcChecksum(step: (data: Buffer, value: number) => number): IncrementalChecksum {
  let value = 0;
  return {
    update: (data) => {
      value = step(data, value);
    },
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return out;
    },
  };
}

// CRC32C (Castagnoli), reflected polynomial 0x82F63B78; Node has no built-in, and it is only used
// when a client asks for it, so a byte-at-a-time table is fast enough.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer, value: number): number {
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = (CRC32C_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}
