// What the server keeps on disk, as zod schemas, validated when read back so a damaged file is
// skipped instead of served: buckets, objects (a list of blob segments) and resumable sessions.
import { z } from 'zod';

export const BucketRecord = z.object({ name: z.string(), createdMs: z.number() });
export type BucketRecord = z.infer<typeof BucketRecord>;

/** A piece of an object's data, in order: a composed object has one per source piece. */
export const Segment = z.object({ blob: z.string(), sizeBytes: z.number().int().min(0), crc32c: z.number().int() });
export type Segment = z.infer<typeof Segment>;

export const ObjectRecord = z.object({
  name: z.string(),
  /** Decimal, as the JSON API sends it: int64 does not fit a JS number in general. */
  generation: z.string(),
  metageneration: z.number().int().min(1),
  sizeBytes: z.number().int().min(0),
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
  /** Base64 MD5; null for composed objects, which GCS gives no MD5. */
  md5Base64: z.string().nullable(),
  crc32c: z.number().int(),
  createdMs: z.number(),
  updatedMs: z.number(),
  /** Set on composed objects: how many uploaded pieces they are made of. */
  componentCount: z.number().int().nullable(),
  segments: z.array(Segment),
});
export type ObjectRecord = z.infer<typeof ObjectRecord>;

export const SessionRecord = z.object({
  id: z.string(),
  bucket: z.string(),
  name: z.string(),
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
  /** Preconditions given when the session started, checked when it finishes. */
  conditions: z.record(z.string(), z.string()),
  /** Declared object size, once a request has said it. */
  totalBytes: z.number().int().min(0).nullable(),
  createdMs: z.number(),
  /** Generation of the object the session produced, once it has. */
  finishedGeneration: z.string().nullable(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;
