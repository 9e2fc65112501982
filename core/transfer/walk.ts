// Expanding what a person dropped (files and folders) into the files to upload, each with the key
// it gets: a dropped file keeps its name, a dropped folder keeps its name and inner paths.
// Links are followed; a folder that links back into itself is reported, not walked forever.
// Each file's fingerprint comes from the walk's own stat, so queuing a file costs one stat.
import { accessSync, constants, statSync, type BigIntStats } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ErrorInfo } from '../contract/index.js';
import { TierdropError, sourceError } from '../errors/index.js';
import type { Fingerprint } from './source.js';

// Stats in flight at once where they are asynchronous (files a watched folder hands over): enough
// to keep libuv's threads busy, few enough to stay polite.
export const STATS_IN_FLIGHT = 64;
// How long a folder walk stats synchronously before it lets the event loop run.
const STAT_SLICE_MS = 8;

export interface SourceFile {
  sourcePath: string;
  /** Key below the destination prefix, with `/` separators. */
  relativeKey: string;
}

/** A file found by the walk, with its fingerprint as the walk saw it. */
export interface WalkedFile extends SourceFile {
  print: Fingerprint;
}

export interface WalkProblem {
  path: string;
  error: ErrorInfo;
}

export interface WalkResult {
  files: WalkedFile[];
  problems: WalkProblem[];
}

/** Every file under `paths`, with the keys they get, and what could not be walked. */
export async function expandSources(paths: readonly string[]): Promise<WalkResult> {
  const files: WalkedFile[] = [];
  const problems = await walkSources(paths, (file) => files.push(file));
  return { files, problems };
}

/**
 * Walks `paths`, handing each file to `onFile` as soon as it is found (in the order expandSources
 * lists them), so a caller can queue the first files of a big folder while the rest is walked.
 * Answers the problems once the walk is over.
 */
export async function walkSources(paths: readonly string[], onFile: (file: WalkedFile) => void): Promise<WalkProblem[]> {
  const problems: WalkProblem[] = [];
  const report = (path: string, error: unknown) => {
    problems.push({ path, error: (error instanceof TierdropError ? error : sourceError(path, error)).toInfo() });
  };
  // Two files with the same key: the first one found keeps it, the later one is reported.
  const byKey = new Map<string, string>();
  let foundCount = 0;
  const found = (file: WalkedFile) => {
    foundCount += 1;
    const earlier = byKey.get(file.relativeKey);
    if (earlier === undefined) {
      byKey.set(file.relativeKey, file.sourcePath);
      onFile(file);
    } else {
      report(file.sourcePath, new TierdropError('invalid_input', `${file.sourcePath} and ${earlier} would both be stored as "${file.relativeKey}".`, {
        hint: 'Rename one of them or upload them separately.',
      }));
    }
  };

  for (const given of paths) {
    const path = resolve(given);
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      report(path, error);
      continue;
    }
    if (info.isFile()) {
      if (await readable(path, report)) found({ sourcePath: path, relativeKey: basename(path), print: fingerprintOf(info) });
    } else if (info.isDirectory()) {
      const before = foundCount;
      await walkFolder(path, basename(path), new Set(), found, report);
      if (foundCount === before && !problems.some((p) => p.path.startsWith(path))) {
        report(path, new TierdropError('invalid_input', `${path} contains no files, so there is nothing to upload.`, {
          hint: 'Empty folders are not stored; add files to it first.',
        }));
      }
    } else {
      report(path, new TierdropError('invalid_input', `${path} is not a regular file or folder.`, {
        hint: 'Devices, sockets and pipes cannot be uploaded.',
      }));
    }
  }
  return problems;
}

/** The same fingerprint `fingerprint()` in source.ts takes, from a stat already made. */
export function fingerprintOf(info: BigIntStats): Fingerprint {
  return { sizeBytes: Number(info.size), mtimeMs: Number(info.mtimeNs) / 1e6, inode: info.ino.toString() };
}

/** Whether the permission bits grant this process read access (false: ask access() to be sure). */
function modeSaysReadable(info: BigIntStats): boolean {
  const mode = Number(info.mode);
  // As the system decides: the owner's bits alone for the owner, then the group's, then others'.
  if (process.getuid === undefined || process.getgid === undefined) return (mode & constants.S_IROTH) !== 0;
  if (Number(info.uid) === process.getuid()) return (mode & constants.S_IRUSR) !== 0;
  if (Number(info.gid) === process.getgid()) return (mode & constants.S_IRGRP) !== 0;
  return (mode & constants.S_IROTH) !== 0;
}

/** A file the current user cannot open is reported now rather than failing half way. */
async function readable(path: string, report: (path: string, error: unknown) => void): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch (error) {
    report(path, error);
    return false;
  }
}

async function walkFolder(
  folder: string,
  keyPrefix: string,
  ancestors: Set<string>,
  found: (file: WalkedFile) => void,
  report: (path: string, error: unknown) => void,
): Promise<void> {
  let real: string;
  try {
    real = await realpath(folder);
  } catch (error) {
    report(folder, error);
    return;
  }
  if (ancestors.has(real)) {
    report(folder, new TierdropError('source_loop', `${folder} links back to ${real}, which contains it; it was skipped.`, {
      hint: 'Remove or fix the link to upload this folder.',
    }));
    return;
  }
  const inner = new Set(ancestors).add(real);

  let names: string[];
  try {
    names = await readdir(folder); // one call for the whole folder, not a promise per entry
  } catch (error) {
    report(folder, error);
    return;
  }
  names.sort();
  // Stat'ed synchronously in slices of a few milliseconds: one after another an async stat costs
  // a thread hop and a promise each, which made a folder of 10,000 files take seconds to queue.
  // Each file is handed on as soon as it is stat'ed, so its upload can be queued during the walk.
  let sliceStartedMs = performance.now();
  for (const name of names) {
    const path = join(folder, name);
    let info: BigIntStats;
    try {
      info = statSync(path, { bigint: true });
      // Unreadable: reported now, not half way. Asked of the system only when the mode bits do
      // not already say yes, which saves a call per file on the common folder.
      if (info.isFile() && !modeSaysReadable(info)) accessSync(path, constants.R_OK);
    } catch (error) {
      report(path, error);
      continue;
    }
    const key = `${keyPrefix}/${name}`;
    if (info.isDirectory()) {
      await walkFolder(path, key, inner, found, report);
      sliceStartedMs = performance.now();
    } else if (info.isFile()) {
      found({ sourcePath: path, relativeKey: key, print: fingerprintOf(info) });
    }
    if (performance.now() - sliceStartedMs >= STAT_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the process answer meanwhile
      sliceStartedMs = performance.now();
    }
  }
}

/** `fn` over `items` with at most `limit` calls pending, answers in the order of `items`. */
export async function mapInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await fn(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
