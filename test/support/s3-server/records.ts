// What the server keeps on disk, as zod schemas: object metadata, multipart uploads and their parts.
// Every record is validated when read back, so a damaged file is skipped instead of served.
import { z } from 'zod';
import { CHECKSUM_ALGORITHMS } from './checksums.js';

const ChecksumAlgorithmSchema = z.enum(CHECKSUM_ALGORITHMS);
const Checksums = z.partialRecord(ChecksumAlgorithmSchema, z.string());
const StringMap = z.record(z.string(), z.string());

export const BucketRecord = z.object({
  name: z.string(),
  createdMs: z.number(),
});
export type BucketRecord = z.infer<typeof BucketRecord>;

/**
 * A piece of an object's data, in order (a multipart object has one per part): a file in the
 * bucket's blobs folder, or for a small object its bytes right in the record (one file, not two).
 */
export const Segment = z.object({
  blob: z.string().nullable(),
  inlineBase64: z.string().nullable(),
  sizeBytes: z.number().int().min(0),
  checksums: Checksums,
});
export type Segment = z.infer<typeof Segment>;

export const ObjectRecord = z.object({
  key: z.string(),
  sizeBytes: z.number().int().min(0),
  /** Quoted, as S3 sends it. */
  etag: z.string(),
  lastModifiedMs: z.number(),
  contentType: z.string(),
  /** Representation headers stored with the object (cache-control, content-disposition…). */
  headers: StringMap,
  /** User metadata, without the x-amz-meta- prefix. */
  metadata: StringMap,
  checksum: z
    .object({ algorithm: ChecksumAlgorithmSchema, value: z.string(), type: z.enum(['FULL_OBJECT', 'COMPOSITE']) })
    .nullable(),
  multipart: z.boolean(),
  segments: z.array(Segment),
});
export type ObjectRecord = z.infer<typeof ObjectRecord>;

export const UploadRecord = z.object({
  uploadId: z.string(),
  key: z.string(),
  initiatedMs: z.number(),
  contentType: z.string(),
  headers: StringMap,
  metadata: StringMap,
  checksumAlgorithm: ChecksumAlgorithmSchema.nullable(),
});
export type UploadRecord = z.infer<typeof UploadRecord>;

export const PartRecord = z.object({
  partNumber: z.number().int().min(1),
  /** Quoted MD5 of the part. */
  etag: z.string(),
  sizeBytes: z.number().int().min(0),
  lastModifiedMs: z.number(),
  checksums: Checksums,
  /** Data file name inside the upload's folder. */
  file: z.string(),
});
export type PartRecord = z.infer<typeof PartRecord>;
