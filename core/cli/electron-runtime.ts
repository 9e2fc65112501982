// Finding a usable Electron runtime without downloading one: the `electron` package records its
// binary in path.txt after its install script fetched it. Requiring the package without that file
// would start a download, so it is only required once the binary is known to be there.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const VERSION_CHECK_TIMEOUT_MS = 15_000; // a first start can be slow on a cold disk

export type ElectronRuntime = { found: true; binary: string; version: string } | { found: false; reason: string };

export function findElectronRuntime(): ElectronRuntime {
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { found: false, reason: 'the electron package has no downloaded binary' };
  const expected = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(expected)) return { found: false, reason: `${expected} is missing` };
  const binary: unknown = require('electron');
  if (typeof binary !== 'string' || !existsSync(binary)) return { found: false, reason: 'the electron package did not name a binary' };
  const check = spawnSync(binary, ['--version'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: VERSION_CHECK_TIMEOUT_MS,
  });
  if (check.status !== 0) return { found: false, reason: `${binary} does not run here (${check.error?.message ?? check.stderr.trim()})` };
  return { found: true, binary, version: check.stdout.trim() };
}
