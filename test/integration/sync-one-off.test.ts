// Which commands wake the saved sync roots: a one-off `tierdrop upload` does not (it must not start
// uploading a folder someone synced last week), `tierdrop serve` and `tierdrop sync --watch` do.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli, startCli, type CliRun } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { eventually, tree } from './sync-support.js';

let work: ReturnType<typeof tempDir>;
let home: string;
let folder: string;
let store: string;
let running: CliRun | null = null;

beforeEach(async () => {
  work = tempDir('sync-one-off');
  home = join(work.path, 'home');
  folder = join(work.path, 'synced');
  store = join(work.path, 'store');
  mkdirSync(folder);
  writeFileSync(join(folder, 'first.txt'), 'synced by the first run');
  // A saved root, synced once and left alone.
  const first = await runCli(['sync', folder, '--to', storeUrl()], { home });
  expect(first.code, first.stderr).toBe(0);
  expect(Object.keys(tree(store))).toEqual(['first.txt']);
  writeFileSync(join(folder, 'later.txt'), 'written while nothing watched');
});

afterEach(async () => {
  if (running !== null && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  running = null;
  work.cleanup();
});

function storeUrl(): string {
  return `${pathToFileURL(store).href}?mode=direct`;
}

describe('saved sync roots', () => {
  it('stay asleep during a one-off upload', async () => {
    const other = join(work.path, 'other.bin');
    writeRandomFile(other, 24 * MiB); // long enough that a root started alongside would have scanned
    const upload = await runCli(['upload', other, '--to', storeUrl(), '--json'], { home });
    expect(upload.code, upload.stderr).toBe(0);
    expect(upload.events.filter((event) => event['type'] === 'sync.updated')).toEqual([]);
    expect(existsSync(join(store, 'other.bin'))).toBe(true);
    expect(existsSync(join(store, 'later.txt'))).toBe(false);
  });

  it('wake with `tierdrop serve`', async () => {
    running = startCli(['serve', '--no-open'], { home });
    await eventually(() => expect(tree(store)).toEqual(tree(folder)), 30_000);
  });

  it('wake with `tierdrop sync --watch` of another folder', async () => {
    const second = join(work.path, 'second');
    mkdirSync(second);
    writeFileSync(join(second, 'second.txt'), 'the folder named on the command line');
    running = startCli(['sync', second, '--to', storeUrl(), '--watch'], { home });
    await eventually(() => expect(tree(store)).toEqual({ ...tree(folder), ...tree(second) }), 30_000);
    expect(running.stderr() + running.stdout()).toMatch(/Also watching 1 other saved sync root/);
  });
});
