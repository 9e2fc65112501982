// One engine per home folder: two processes driving the same uploads would send parts twice.
// The lock file holds the owner's pid; a lock whose owner is gone (a crash, SIGKILL) is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TierdropError } from '../errors/index.js';

export interface HomeLock {
  release(): void;
}

export function acquireHomeLock(path: string, pid = process.pid): HomeLock {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (ownerOf(path) === pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new TierdropError('access_denied', `Cannot write ${path}: ${(error as Error).message}`, {
          hint: 'Check that the Tierdrop home folder is writable (or set TIERDROP_HOME).',
          cause: error,
        });
      }
      const owner = ownerOf(path);
      if (owner !== null && isAlive(owner)) {
        throw new TierdropError('conflict', `Another Tierdrop process (pid ${owner}) is already running uploads from ${dirname(path)}.`, {
          hint: `Wait for it to finish or stop it. If no Tierdrop is running, delete ${path}.`,
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new TierdropError('conflict', `Could not take the lock ${path}; another process keeps taking it.`);
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
