// What the sync layer reads of a local file: its fingerprint (the same size, mtime and inode the
// transfer engine records, so the two can be compared) and its content hashes, read as a stream.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, statSync, type BigIntStats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { keyProblem } from '../backends/index.js';

export interface LocalPrint {
  sizeBytes: number;
  mtimeMs: number;
  inode: string;
}

export type LocalKind = 'file' | 'dir' | 'link' | 'other';

export interface LocalStat {
  kind: LocalKind;
  print: LocalPrint;
}

/** Computed exactly as core/transfer's fingerprint, so an upload row and a stat compare equal. */
export function printOf(info: BigIntStats): LocalPrint {
  return { sizeBytes: Number(info.size), mtimeMs: Number(info.mtimeNs) / 1e6, inode: info.ino.toString() };
}

export function kindOf(info: BigIntStats): LocalKind {
  if (info.isSymbolicLink()) return 'link';
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'dir';
  return 'other';
}

/** lstat (or stat when links are followed); null when nothing is there. Other errors are thrown. */
export async function statLocal(path: string, followSymlinks: boolean): Promise<LocalStat | null> {
  try {
    const info = followSymlinks ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
    return { kind: kindOf(info), print: printOf(info) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * statLocal without the thread pool, for the walk: a stat is microseconds on a local disk, while a
 * promise round trip per file made the stat calls most of a rescan's time.
 */
export function statLocalSync(path: string, followSymlinks: boolean): LocalStat | null {
  try {
    const options = { bigint: true, throwIfNoEntry: false } as const;
    const info = followSymlinks ? statSync(path, options) : lstatSync(path, options);
    return info === undefined ? null : { kind: kindOf(info), print: printOf(info) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
}

export function samePrint(a: LocalPrint, b: LocalPrint): boolean {
  return a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.inode === b.inode;
}

export interface ContentHashes {
  sha256: string;
  md5: string;
}

/** sha256 (what the index keeps) and md5 (what S3 reports as a single-request ETag) in one read. */
export async function hashFile(path: string): Promise<ContentHashes> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

/**
 * The key of a path relative to the root as the OS spells it: '/' separators and NFC, so a file
 * has one key whichever platform uploaded it (macOS hands out decomposed names).
 */
export function keyOfLocalPath(localPath: string): string {
  return localPath.split(sep).join('/').normalize('NFC');
}

/** Why the key cannot be stored, or null. */
export function localKeyProblem(key: string): string | null {
  return keyProblem(key);
}
