// Small file-system tools: atomic JSON records (temp + rename, so a killed server never leaves a torn
// record), validated reads, quiet removal, hard links with a copy fallback, and per-key mutexes.
import { randomUUID } from 'node:crypto';
import { copyFile, link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { z } from 'zod';

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`; // beside its target, so the rename stays on one disk
  try {
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

/** A validated record, or null when it is missing or damaged. */
export async function readRecord<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) return parsed.data;
    process.stderr.write(`gcs-server: skipping damaged record ${path}\n`);
    return null;
  } catch {
    return null;
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true }).catch(() => undefined);
}

/** A second name for the same bytes, so a composed object owns its data; a copy where links fail. */
export async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
    await copyFile(source, target);
  }
}

/** Runs tasks one at a time per key, e.g. every commit to one object name. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => turn);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
