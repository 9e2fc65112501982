// Shared by the sync tests: a folder's files as key → sha256 (what "the destination equals the
// folder" means), and polling with a generous timeout instead of fixed sleeps.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Every file below `folder` (skipping `.tierdrop`, the store's own state) as key → sha256. */
export function tree(folder: string, skip: (key: string) => boolean = () => false): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const key = relative(folder, path).split(sep).join('/');
      if (entry.name === '.tierdrop' || skip(key)) continue;
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) files[key] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  visit(folder);
  return files;
}

/** Polls `check` until it passes (it throws, e.g. a failed expect, until then) or time runs out. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
