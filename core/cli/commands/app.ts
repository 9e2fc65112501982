// `tierdrop app` (what `npm start` runs): the desktop window in Electron, or, where the Electron
// runtime is missing, the same window in a browser through the loopback host, said in one line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RENDERER_DIR, openInBrowser, startHost } from '../../host/index.js';
import { resolveHome } from '../../service/index.js';
import { EXIT_FAILED, parse } from '../args.js';
import { findElectronRuntime } from '../electron-runtime.js';
import { serveUntilSignalled } from './serve.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ELECTRON_MAIN = join(REPO_ROOT, 'dist', 'electron', 'electron', 'main.js');

export async function app(args: string[]): Promise<number> {
  const { values } = parse(args, { 'no-open': { type: 'boolean', default: false } }, false);
  if (!existsSync(join(DEFAULT_RENDERER_DIR, 'index.html'))) runScript('build:renderer');

  const runtime = findElectronRuntime();
  if (runtime.found) {
    // Always compiled afresh: a stale main process would run yesterday's core against today's journal.
    if (!runScript('build:electron')) return EXIT_FAILED;
    return runElectron(runtime.binary);
  }

  const host = await startHost({ home: resolveHome() });
  for (const warning of host.warnings) process.stderr.write(`${warning}\n`);
  if (host.notice !== null) process.stderr.write(`${host.notice}\n`);
  process.stdout.write(`The Electron runtime is not installed here, so Tierdrop opens in your browser instead: ${host.url}\n`);
  if (values['no-open'] !== true) openInBrowser(host.url);
  return serveUntilSignalled(host);
}

/** Runs an npm script of this package with its output on stderr (stdout is kept for the one line). */
function runScript(name: string): boolean {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', name], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (result.status === 0) return true;
  process.stderr.write(`tierdrop: \`npm run ${name}\` failed; see above.\n`);
  return false;
}

function runElectron(binary: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(binary, [ELECTRON_MAIN], { cwd: REPO_ROOT, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      process.stderr.write(`tierdrop: Electron did not start: ${error.message}\n`);
      resolve(EXIT_FAILED);
    });
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? EXIT_FAILED);
    });
  });
}
