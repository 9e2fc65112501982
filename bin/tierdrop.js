#!/usr/bin/env node
// Entry point of the `tierdrop` command. Runs the compiled CLI in dist/ when `npm run build` made it
// from the sources as they are now, which starts several times faster; otherwise (a fresh clone, an
// edited source, TIERDROP_FROM_SOURCE=1) loads the TypeScript through tsx, so the source is what runs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT_MAIN = join(ROOT, 'dist', 'core', 'cli', 'main.js');

/** The newest modification time of any TypeScript source under `folder`. */
function newestSourceMs(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/ was built after the last change to core/ (tsc writes main.js during the build). */
function builtIsCurrent() {
  if (process.env.TIERDROP_FROM_SOURCE === '1') return false;
  try {
    return statSync(BUILT_MAIN).mtimeMs > newestSourceMs(join(ROOT, 'core'));
  } catch {
    return false;
  }
}

let main;
if (builtIsCurrent()) {
  ({ main } = await import(BUILT_MAIN));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../core/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
