// File-system tools both test servers keep their data with: JSON records written whole (temp file,
// then rename), validated reads, quiet removal, hard links that fall back to copies, per-key locks.
import { randomUUID } from 'node:crypto';
import { copyFile, link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { z } from 'zod';

/** What a half-written record's name ends with; a start-up sweep removes such files. */
export const TEMP_SUFFIX = '.tmp';

/** Writes `value` as JSON so that a killed server leaves the old record or the new one, never half. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  // Beside its target, so the rename stays on one file system.
  const temp = `${path}.${randomUUID()}${TEMP_SUFFIX}`;
  try {
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

/** A record checked against `schema`; null when it is missing or damaged (a damaged one is reported). */
export async function readRecord<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  process.stderr.write(`test server: skipping damaged record ${path}\n`);
  return null;
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true }).catch(() => undefined);
}

/** Errors that mean "this file system cannot link here", where a copy does the same job. */
const NO_LINK_CODES = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK']);

/** A second name for the same bytes, so a new object owns its data; a copy where links fail. */
export async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (error) {
    if (!NO_LINK_CODES.has(errorCode(error) ?? '')) throw error;
    await copyFile(source, target);
  }
}

/** The errno code of a Node system error (ENOENT…), if it is one. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Runs tasks one at a time per key: every commit to one object, say. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let done: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await task();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
