// The JSON resources the API answers with, built from our records: int64 fields as decimal
// strings, times as RFC 3339, hashes as base64 (crc32c big-endian), md5Hash absent on composites.
import { crc32cBase64 } from './crc32c.js';
import type { BucketRecord, ObjectRecord } from './records.js';

export function objectResource(endpoint: string, bucket: string, record: ObjectRecord): Record<string, unknown> {
  const encoded = encodeURIComponent(record.name);
  return {
    kind: 'storage#object',
    id: `${bucket}/${record.name}/${record.generation}`,
    selfLink: `${endpoint}/storage/v1/b/${bucket}/o/${encoded}`,
    mediaLink: `${endpoint}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${record.generation}&alt=media`,
    name: record.name,
    bucket,
    generation: record.generation,
    metageneration: String(record.metageneration),
    contentType: record.contentType,
    storageClass: 'STANDARD',
    size: String(record.sizeBytes),
    ...(record.md5Base64 === null ? {} : { md5Hash: record.md5Base64 }),
    crc32c: crc32cBase64(record.crc32c),
    etag: etagOf(record),
    timeCreated: new Date(record.createdMs).toISOString(),
    updated: new Date(record.updatedMs).toISOString(),
    timeStorageClassUpdated: new Date(record.createdMs).toISOString(),
    ...(Object.keys(record.metadata).length === 0 ? {} : { metadata: record.metadata }),
    ...(record.componentCount === null ? {} : { componentCount: record.componentCount }),
  };
}

/** Like GCS's: opaque, and changes with the generation and the metageneration. */
export function etagOf(record: ObjectRecord): string {
  return Buffer.from(`${record.generation}/${record.metageneration}`).toString('base64');
}

export function bucketResource(endpoint: string, record: BucketRecord): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: record.name,
    selfLink: `${endpoint}/storage/v1/b/${record.name}`,
    name: record.name,
    projectNumber: '0',
    metageneration: '1',
    location: 'US',
    storageClass: 'STANDARD',
    etag: 'CAE=',
    timeCreated: new Date(record.createdMs).toISOString(),
    updated: new Date(record.createdMs).toISOString(),
  };
}
