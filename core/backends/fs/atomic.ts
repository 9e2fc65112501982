// Crash-safe writes into a local destination: bytes go to a temp file on the same file system, are
// fsynced, then renamed into place, so a reader sees the old object or the new one, never a mix.
// Each write also mints the object's version (etag), which compare-and-write relies on.
import { createHash, randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoCode } from './errors.js';

/** Versions are distinct as long as successive writes of a key get distinct mtimes (see below). */
const MIN_MTIME_STEP_NS = 2_000n; // > the ~0.24 µs rounding of a double-seconds timestamp
/** How often a rename is retried when a concurrent delete pruned the parent folder. */
const RENAME_ATTEMPTS = 3;

export interface WriteOptions {
  /** The declared length; a source that yields another number of bytes fails the write. */
  expectedBytes?: number;
  signal?: AbortSignal;
  /** Create missing parent folders of the target (false for part files: an abort must win). */
  createParents: boolean;
  /** Runs after the temp file is durable and before it is renamed into place. */
  beforeRename?: (written: WrittenFile) => Promise<void>;
}

export interface WrittenFile {
  etag: string;
  sizeBytes: number;
  md5Hex: string;
  lastModifiedMs: number;
}

export class LengthMismatchError extends Error {
  constructor(readonly expectedBytes: number, readonly actualBytes: number) {
    super(`expected ${expectedBytes} bytes but the body had ${actualBytes}`);
    this.name = 'LengthMismatchError';
  }
}

/**
 * The version of a file: inode, size and mtime in nanoseconds. Every write renames a fresh file
 * (a new inode) and gives it an mtime strictly after the one it replaces, so a version is never
 * minted twice for one key even when the file system reuses a freed inode within a clock tick.
 */
export function etagOf(stats: BigIntStats): string {
  return `${stats.ino.toString(36)}-${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}`;
}

export async function statOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * Writes `source` to `target`; a target given as a function is named after what was written
 * (part files carry their MD5), and has no previous version to order after.
 */
export async function writeFileAtomically(
  tmpDir: string,
  target: string | ((written: WrittenFile) => string),
  source: Buffer | AsyncIterable<Buffer | Uint8Array>,
  options: WriteOptions,
): Promise<WrittenFile> {
  options.signal?.throwIfAborted();
  const previous = typeof target === 'string' ? await statOrNull(target) : null;
  const tmpPath = join(tmpDir, `${randomUUID()}.tmp`);
  const handle = await open(tmpPath, 'wx');
  let renamed = false;
  try {
    const written = await fillAndSync(handle, source, options, previous?.mtimeNs ?? 0n);
    await handle.close();
    await options.beforeRename?.(written);
    const targetPath = typeof target === 'string' ? target : target(written);
    await renameIntoPlace(tmpPath, targetPath, options.createParents);
    renamed = true;
    await syncFolder(dirname(targetPath));
    return written;
  } finally {
    await handle.close().catch(() => undefined);
    if (!renamed) await unlink(tmpPath).catch(() => undefined);
  }
}

async function fillAndSync(
  handle: FileHandle,
  source: Buffer | AsyncIterable<Buffer | Uint8Array>,
  options: WriteOptions,
  previousMtimeNs: bigint,
): Promise<WrittenFile> {
  const md5 = createHash('md5');
  let sizeBytes = 0;
  const chunks: AsyncIterable<Buffer | Uint8Array> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    md5.update(chunk);
    sizeBytes += chunk.byteLength;
    await writeAll(handle, chunk);
  }
  options.signal?.throwIfAborted();
  if (options.expectedBytes !== undefined && sizeBytes !== options.expectedBytes) {
    throw new LengthMismatchError(options.expectedBytes, sizeBytes);
  }
  const mtimeNs = laterThan(previousMtimeNs);
  const mtimeSeconds = Number(mtimeNs) / 1e9;
  await handle.utimes(mtimeSeconds, mtimeSeconds);
  await handle.sync();
  const stats = await handle.stat({ bigint: true });
  return {
    etag: etagOf(stats),
    sizeBytes,
    md5Hex: md5.digest('hex'),
    lastModifiedMs: Number(stats.mtimeNs / 1_000_000n),
  };
}

function laterThan(previousMtimeNs: bigint): bigint {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const floorNs = previousMtimeNs + MIN_MTIME_STEP_NS;
  return nowNs > floorNs ? nowNs : floorNs;
}

async function writeAll(handle: FileHandle, chunk: Buffer | Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function renameIntoPlace(tmpPath: string, targetPath: string, createParents: boolean): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    if (createParents) await mkdir(dirname(targetPath), { recursive: true });
    try {
      await rename(tmpPath, targetPath);
      return;
    } catch (error) {
      // A delete of a sibling may have pruned the now-empty parent between mkdir and rename.
      if (!createParents || errnoCode(error) !== 'ENOENT' || attempt >= RENAME_ATTEMPTS) throw error;
    }
  }
}

/** Makes a rename durable. Windows cannot open folders, and its renames are journalled anyway. */
export async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
