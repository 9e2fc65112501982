// A tombstone: the small HV entry that stands at a key in place of an object stored as an LT
// revision. It is self-describing JSON, so a listing can tell it from an inline object by its bytes.
import { z } from 'zod';

export const TOMBSTONE_FORMAT = 'tierdrop.tombstone';
/** Entries larger than this are never tombstones, so reading them to check is never needed. */
export const MAX_TOMBSTONE_BYTES = 8 * 1024; // a 1 KiB key, escaped in JSON, fits with room to spare

const TOMBSTONE_START = Buffer.from(`{"format":"${TOMBSTONE_FORMAT}"`);

export const Tombstone = z
  .object({
    format: z.literal(TOMBSTONE_FORMAT),
    version: z.literal(1),
    key: z.string(),
    revision: z.string(),
    sizeBytes: z.number().int().min(0),
  })
  .strict();
export type Tombstone = z.infer<typeof Tombstone>;

/** The same inputs always give the same bytes: a retried compare-and-write must see its own value. */
export function encodeTombstone(key: string, revision: string, sizeBytes: number): Buffer {
  const tombstone: Tombstone = { format: TOMBSTONE_FORMAT, version: 1, key, revision, sizeBytes };
  return Buffer.from(`${JSON.stringify(tombstone)}\n`);
}

/** The tombstone these bytes hold, or null when they are anything else (an inline object). */
export function decodeTombstone(bytes: Buffer): Tombstone | null {
  if (bytes.length > MAX_TOMBSTONE_BYTES || !bytes.subarray(0, TOMBSTONE_START.length).equals(TOMBSTONE_START)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  const tombstone = Tombstone.safeParse(parsed);
  return tombstone.success ? tombstone.data : null;
}
