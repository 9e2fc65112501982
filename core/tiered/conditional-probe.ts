// Whether a destination's HV tier enforces conditional writes: the tombstone's compare-and-write is
// the commit point, and a store that ignores If-None-Match / If-Match (s3rver, some gateways) turns
// it into a blind write, so two writers to one key may both "win" and orphan a revision.
import { randomUUID } from 'node:crypto';
import type { HighVolumeBackend } from '../backends/index.js';
import type { TieredLayout } from './layout.js';

/** 'enforced': a create-only write over an existing key conflicts, as the protocol needs. */
export type ConditionalWrites = 'enforced' | 'ignored';

/** What to tell a person whose store ignores conditions. */
export const SINGLE_WRITER_WARNING =
  'This store ignores conditional writes (If-None-Match / If-Match): use this destination from one Tierdrop at a time.';

/**
 * Creates a probe key under the reserved LT folder (never listed as an object), writes it again
 * create-only, which must conflict, and deletes it. Three small requests.
 */
export async function probeConditionalWrites(hv: HighVolumeBackend, layout: TieredLayout): Promise<ConditionalWrites> {
  const key = `${layout.ltRoot}probe-${randomUUID()}`;
  try {
    await hv.compareAndWrite(key, null, Buffer.from('first\n'));
    const second = await hv.compareAndWrite(key, null, Buffer.from('second\n'));
    return second === 'conflict' ? 'enforced' : 'ignored';
  } finally {
    await hv.delete(key).catch(() => undefined); // a probe left behind is tiny, and the sweep skips nothing it must keep
  }
}
