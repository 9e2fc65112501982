// Reading an HV entry: absent, an inline object, or a tombstone. Only entries small enough to be a
// tombstone are read to find out, so large inline objects stream straight through.
import { Readable } from 'node:stream';
import type { HighVolumeBackend, ObjectMeta, StoredObject } from '../backends/index.js';
import { decodeTombstone, MAX_TOMBSTONE_BYTES, type Tombstone } from './tombstone.js';

export type Entry =
  | { kind: 'absent' }
  /** `object` streams the inline bytes; its body must be consumed or destroyed. */
  | { kind: 'inline'; meta: ObjectMeta; object: StoredObject }
  | { kind: 'tombstone'; meta: ObjectMeta; tombstone: Tombstone };

export async function readEntry(hv: HighVolumeBackend, key: string, signal?: AbortSignal): Promise<Entry> {
  const stored = await hv.get(key, signal);
  if (stored === null) return { kind: 'absent' };
  if (stored.meta.sizeBytes > MAX_TOMBSTONE_BYTES) return { kind: 'inline', meta: stored.meta, object: stored };
  const bytes = await readAll(stored.body);
  const tombstone = decodeTombstone(bytes);
  if (tombstone !== null && tombstone.key === key) return { kind: 'tombstone', meta: stored.meta, tombstone };
  // Readable.from hands a Buffer over as one chunk rather than iterating its bytes.
  return { kind: 'inline', meta: stored.meta, object: { meta: stored.meta, body: Readable.from(bytes) } };
}

/** The revision an HV entry points at, or null for an inline object or no entry. */
export async function currentRevision(hv: HighVolumeBackend, key: string): Promise<string | null> {
  const entry = await readEntry(hv, key);
  if (entry.kind === 'inline') entry.object.body.destroy();
  return entry.kind === 'tombstone' ? entry.tombstone.revision : null;
}

/** Closes an entry's stream when the caller only wanted to know what is there. */
export function release(entry: Entry): void {
  if (entry.kind === 'inline') entry.object.body.destroy();
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
