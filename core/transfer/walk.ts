// Expanding what a person dropped (files and folders) into the files to upload, each with the key
// it gets: a dropped file keeps its name, a dropped folder keeps its name and inner paths.
// Links are followed; a folder that links back into itself is reported, not walked forever.
import { constants } from 'node:fs';
import { access, opendir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ErrorInfo } from '../contract/index.js';
import { TierdropError, sourceError } from '../errors/index.js';

export interface SourceFile {
  sourcePath: string;
  /** Key below the destination prefix, with `/` separators. */
  relativeKey: string;
}

export interface WalkProblem {
  path: string;
  error: ErrorInfo;
}

export interface WalkResult {
  files: SourceFile[];
  problems: WalkProblem[];
}

export async function expandSources(paths: readonly string[]): Promise<WalkResult> {
  const files: SourceFile[] = [];
  const problems: WalkProblem[] = [];
  const report = (path: string, error: unknown) => {
    problems.push({ path, error: (error instanceof TierdropError ? error : sourceError(path, error)).toInfo() });
  };

  for (const given of paths) {
    const path = resolve(given);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      report(path, error);
      continue;
    }
    if (info.isFile()) {
      if (await readable(path, report)) files.push({ sourcePath: path, relativeKey: basename(path) });
    } else if (info.isDirectory()) {
      const before = files.length;
      await walkFolder(path, basename(path), new Set(), files, report);
      if (files.length === before && !problems.some((p) => p.path.startsWith(path))) {
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

  const unique: SourceFile[] = [];
  const byKey = new Map<string, string>();
  for (const file of files) {
    const earlier = byKey.get(file.relativeKey);
    if (earlier === undefined) {
      byKey.set(file.relativeKey, file.sourcePath);
      unique.push(file);
    } else {
      report(file.sourcePath, new TierdropError('invalid_input', `${file.sourcePath} and ${earlier} would both be stored as "${file.relativeKey}".`, {
        hint: 'Rename one of them or upload them separately.',
      }));
    }
  }
  return { files: unique, problems };
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
  files: SourceFile[],
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

  let dir;
  try {
    dir = await opendir(folder);
  } catch (error) {
    report(folder, error);
    return;
  }
  const names: string[] = [];
  try {
    for await (const entry of dir) names.push(entry.name);
  } catch (error) {
    report(folder, error);
    return;
  }
  names.sort();
  for (const name of names) {
    const path = join(folder, name);
    const key = `${keyPrefix}/${name}`;
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      report(path, error);
      continue;
    }
    if (info.isDirectory()) await walkFolder(path, key, inner, files, report);
    else if (info.isFile() && (await readable(path, report))) files.push({ sourcePath: path, relativeKey: key });
  }
}
