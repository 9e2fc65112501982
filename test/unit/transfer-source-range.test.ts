// Streaming one part's byte range from disk: exactly the range's bytes, counted as they pass, and
// in small chunks, so the parts in flight hold a few chunks each rather than megabytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRange } from '../../core/transfer/source.js';

const KiB = 1024;
const MAX_CHUNK_BYTES = 64 * KiB; // what a part in flight may hold per stage of its pipeline

describe('openRange', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  function fileOf(bytes: Buffer): string {
    const folder = mkdtempSync(join(tmpdir(), 'tierdrop-range-'));
    folders.push(folder);
    const path = join(folder, 'source.bin');
    writeFileSync(path, bytes);
    return path;
  }

  it('streams exactly the range, in chunks of at most 64 KiB, and counts every byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 1024 * KiB }, (_, index) => (index * 7) % 251));
    const path = fileOf(bytes);
    const offsetBytes = 3 * KiB + 5;
    const lengthBytes = 700 * KiB + 11;
    const counted: number[] = [];
    const range = openRange(path, offsetBytes, lengthBytes, { bandwidth: null, onBytes: (total) => counted.push(total) });

    const chunks: Buffer[] = [];
    for await (const chunk of range) chunks.push(chunk as Buffer);

    expect(Buffer.concat(chunks).equals(bytes.subarray(offsetBytes, offsetBytes + lengthBytes))).toBe(true);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(counted.at(-1)).toBe(lengthBytes);
    expect(range.shortRead).toBeNull();
  });

  it('fails a range that ends short, so a part of a shrunken file is never sent', async () => {
    const path = fileOf(Buffer.alloc(100 * KiB, 1));
    const range = openRange(path, 0, 200 * KiB, { bandwidth: null, onBytes: () => {} });
    await expect(
      (async () => {
        for await (const _chunk of range) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ code: 'source_changed' });
  });
});
