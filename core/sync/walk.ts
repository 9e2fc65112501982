// Streaming walk of a sync root (or one folder inside it): yields each file with its key and
// fingerprint as it is found, so memory holds one folder's batch, never the whole tree.
// Ignored folders are pruned; links are skipped unless the root follows them.
import { opendir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { TierdropError, sourceError } from '../errors/index.js';
import type { IgnoreMatcher } from './ignore.js';
import { keyOfLocalPath, localKeyProblem, statLocal, type LocalPrint } from './local.js';

export type WalkItem =
  | { kind: 'file'; localPath: string; key: string; print: LocalPrint }
  | { kind: 'problem'; localPath: string; key: string; isFolder: boolean; error: TierdropError };

export interface WalkOptions {
  ignore: IgnoreMatcher;
  followSymlinks: boolean;
}

const STAT_BATCH = 64; // entries stat'ed at once: keeps the disk busy without a burst of handles

/** Walks `folder`/`start` (start '' for the whole root); paths and keys are relative to `folder`. */
export async function* walkRoot(folder: string, start: string, options: WalkOptions): AsyncGenerator<WalkItem> {
  const stack: string[] = [start];
  // Only needed to stop a followed link from walking into its own ancestor forever.
  const visited = new Set<string>();
  while (stack.length > 0) {
    const relativeDir = stack.pop() ?? '';
    const absoluteDir = join(folder, relativeDir);
    if (options.followSymlinks) {
      const real = await realpath(absoluteDir).catch(() => absoluteDir);
      if (visited.has(real)) {
        yield problem(relativeDir, true, new TierdropError('source_loop', `${absoluteDir} links back into a folder already synced; it was skipped.`));
        continue;
      }
      visited.add(real);
    }
    let dir;
    try {
      dir = await opendir(absoluteDir, { bufferSize: STAT_BATCH });
    } catch (error) {
      yield problem(relativeDir, true, sourceError(absoluteDir, error));
      continue;
    }
    let names: string[] = [];
    try {
      for await (const entry of dir) {
        names.push(entry.name);
        if (names.length >= STAT_BATCH) {
          yield* statBatch(folder, relativeDir, names, options, stack);
          names = [];
        }
      }
    } catch (error) {
      yield problem(relativeDir, true, sourceError(absoluteDir, error));
    }
    yield* statBatch(folder, relativeDir, names, options, stack);
  }
}

async function* statBatch(
  folder: string,
  relativeDir: string,
  names: readonly string[],
  options: WalkOptions,
  stack: string[],
): AsyncGenerator<WalkItem> {
  const found = await Promise.all(
    names.map(async (name) => {
      const localPath = relativeDir === '' ? name : join(relativeDir, name);
      try {
        return { localPath, info: await statLocal(join(folder, localPath), options.followSymlinks), error: null };
      } catch (error) {
        return { localPath, info: null, error };
      }
    }),
  );
  for (const { localPath, info, error } of found) {
    const key = keyOfLocalPath(localPath);
    if (error !== null) {
      yield problem(localPath, false, sourceError(join(folder, localPath), error));
      continue;
    }
    if (info === null) continue; // gone between listing and stat
    if (info.kind === 'dir') {
      if (!options.ignore.ignoresEntry(key, true)) stack.push(localPath);
      continue;
    }
    if (info.kind !== 'file' || options.ignore.ignoresEntry(key, false)) continue;
    const keyIssue = localKeyProblem(key);
    if (keyIssue !== null) {
      yield problem(localPath, false, new TierdropError('invalid_input', `${join(folder, localPath)} cannot be stored: its key is invalid because ${keyIssue}.`, {
        hint: 'Rename the file.',
      }));
      continue;
    }
    yield { kind: 'file', localPath, key, print: info.print };
  }
}

function problem(localPath: string, isFolder: boolean, error: TierdropError): WalkItem {
  return { kind: 'problem', localPath, key: keyOfLocalPath(localPath), isFolder, error };
}
