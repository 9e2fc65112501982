// Building dist/ before a measured run, so the CLI under test starts as it ships: bin/tierdrop.js
// runs dist/ when it is newer than every source, and the TypeScript through tsx otherwise.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** `npm run build`; tsc still writes JavaScript when some other change in the tree has a type error. */
export function buildDist(say: (text: string) => void): void {
  say('Building dist/ (npm run build) so the CLI starts as shipped…');
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
  } catch {
    say('tsc reported errors (above); the JavaScript it wrote is used.');
  }
}
