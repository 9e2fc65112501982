// Streaming walk of a sync root (or one folder inside it): yields each file with its key and
// fingerprint as it is found, so memory holds one folder's batch, never the whole tree.
// Ignored folders are pruned; links are skipped unless the root follows them. A folder's own
// `.tierdropignore` is read before its entries are judged (the root's is the caller's to load).
import { opendir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { TierdropError, sourceError } from '../errors/index.js';
import { IGNORE_FILE_NAME, type IgnoreMatcher } from './ignore.js';
import { keyOfLocalPath, localKeyProblem, statLocalSync, type LocalPrint } from './local.js';

export type WalkItem =
  | { kind: 'file'; localPath: string; key: string; print: LocalPrint }
  | { kind: 'problem'; localPath: string; key: string; isFolder: boolean; error: TierdropError };

export interface WalkOptions {
  ignore: IgnoreMatcher;
  followSymlinks: boolean;
}

const STAT_BATCH = 64; // entries stat'ed, then judged and yielded, at a time
const LIST_BATCH = 1_024; // names read per directory call: a small buffer costs a round trip per few names

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
    if (relativeDir !== '') {
      const rules = await readIgnoreFile(join(absoluteDir, IGNORE_FILE_NAME));
      if (rules.error) yield problem(join(relativeDir, IGNORE_FILE_NAME), false, sourceError(join(absoluteDir, IGNORE_FILE_NAME), rules.error));
      options.ignore.setFolderRules(keyOfLocalPath(relativeDir), rules.text);
    }
    let dir;
    try {
      dir = await opendir(absoluteDir, { bufferSize: LIST_BATCH });
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
  const found = names.map((name) => {
    const localPath = relativeDir === '' ? name : join(relativeDir, name);
    try {
      return { localPath, info: statLocalSync(join(folder, localPath), options.followSymlinks), error: null };
    } catch (error) {
      return { localPath, info: null, error };
    }
  });
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

/** The text of an ignore file, null when there is none; an unreadable one is reported and treated as empty. */
async function readIgnoreFile(path: string): Promise<{ text: string | null; error: unknown }> {
  try {
    return { text: await readFile(path, 'utf8'), error: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { text: null, error: code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? null : error };
  }
}

function problem(localPath: string, isFolder: boolean, error: TierdropError): WalkItem {
  return { kind: 'problem', localPath, key: keyOfLocalPath(localPath), isFolder, error };
}
