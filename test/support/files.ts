// Test files with known content, and their hashes.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const CHUNK_BYTES = 4 * 1024 * 1024;

/** Writes `sizeBytes` random bytes to `path` without holding them all in memory. */
export function writeRandomFile(path: string, sizeBytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < sizeBytes; written += CHUNK_BYTES) {
      writeSync(fd, randomBytes(Math.min(CHUNK_BYTES, sizeBytes - written)));
    }
  } finally {
    closeSync(fd);
  }
}

export function writeTextFile(path: string, text: string): void {
  writeFileSync(path, text);
}

export async function sha256OfStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256OfFile(path: string): Promise<string> {
  return sha256OfStream(createReadStream(path));
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(label: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `tierdrop-${label}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
