// Lists the objects of a local destination lazily, in the order S3 lists keys: by the UTF-8 bytes
// of the whole key. Folders sort as `name/`, which is what makes a depth-first walk come out right
// ('a-c' < 'a/b' because '-' < '/').
import type { BigIntStats, Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { keyProblem } from '../keys.js';
import { statOrNull } from './atomic.js';
import { errnoCode } from './errors.js';
import { isStateDirName } from './layout.js';

export interface WalkedFile {
  key: string;
  path: string;
  stats: BigIntStats;
}

/** Regular files whose key starts with `prefix`; links and special files are not objects. */
export async function* walkFiles(root: string, prefix: string): AsyncGenerator<WalkedFile> {
  const baseKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const basePath = baseKey === '' ? root : join(root, ...baseKey.slice(0, -1).split('/'));
  if (baseKey !== '' && (keyProblem(baseKey.slice(0, -1)) !== null || isStateDirName(baseKey.split('/')[0] ?? ''))) return;
  yield* walkFolder(basePath, baseKey, prefix);
}

async function* walkFolder(folderPath: string, folderKey: string, prefix: string): AsyncGenerator<WalkedFile> {
  let entries: Dirent[];
  try {
    entries = await readdir(folderPath, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while we walked, or never there
    throw error;
  }
  const sorted = entries
    .filter((entry) => entry.isFile() || entry.isDirectory())
    .filter((entry) => !(folderKey === '' && isStateDirName(entry.name)))
    .map((entry) => ({ entry, order: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.order, b.order));
  for (const { entry } of sorted) {
    const key = folderKey + entry.name;
    const path = join(folderPath, entry.name);
    if (entry.isDirectory()) {
      const childKey = `${key}/`;
      if (childKey.startsWith(prefix) || prefix.startsWith(childKey)) yield* walkFolder(path, childKey, prefix);
      continue;
    }
    if (!key.startsWith(prefix) || keyProblem(key) !== null) continue;
    const stats = await statOrNull(path);
    if (stats !== null && stats.isFile()) yield { key, path, stats };
  }
}
