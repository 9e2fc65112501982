// The real `tierdrop sync` in a child process: killed (SIGKILL) mid-sync, files changed while it
// is down, restarted: the destination ends equal to the folder and nothing unchanged goes up
// twice. And a file the user may not read is reported and skipped while the rest goes on.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { startCli, runCli, type CliRun } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { eventually, tree } from './sync-support.js';

const cleanups: Array<() => void> = [];
const children: CliRun[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function temp(label: string): string {
  const dir = tempDir(label);
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Upload rows per key (all, or only those in `states`), read from the journal the children wrote. */
function uploadsByKey(home: string, states?: Array<'done'>): Map<string, number> {
  const { journal } = Journal.open(journalPath(home));
  try {
    const counts = new Map<string, number>();
    for (const row of journal.listUploads(states ? { states } : {})) counts.set(row.key, (counts.get(row.key) ?? 0) + 1);
    return counts;
  } finally {
    journal.close();
  }
}

const FILES = 120;
const FILE_BYTES = 256 * 1024; // big enough that a kill lands mid-sync, small enough for a 2-core runner

describe('tierdrop sync --watch, killed and restarted', () => {
  it('ends with the destination equal to the folder, without sending unchanged files twice', async () => {
    const folder = temp('sync-crash-src');
    const store = temp('sync-crash-dst');
    const home = temp('sync-crash-home');
    const url = `${pathToFileURL(store).href}?mode=direct`;
    mkdirSync(join(folder, 'data'));
    for (let index = 0; index < FILES; index += 1) writeRandomFile(join(folder, 'data', `file-${String(index).padStart(3, '0')}.bin`), FILE_BYTES);

    const first = startCli(['sync', folder, '--to', url, '--watch', '--json'], { home });
    children.push(first);
    let finished = 0;
    first.onEvent((event) => {
      if (event['type'] === 'transfer.finished') finished += 1;
    });
    await eventually(() => expect(finished).toBeGreaterThanOrEqual(10), 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // Killed mid-sync: some files are in the store, not all.
    const doneBefore = uploadsByKey(home, ['done']).size;
    expect(doneBefore).toBeGreaterThanOrEqual(10);
    expect(doneBefore).toBeLessThan(FILES);
    // While it is down: change two files (one surely uploaded), add one, delete one.
    const changed = ['data/file-000.bin', `data/file-${String(FILES - 1).padStart(3, '0')}.bin`];
    for (const key of changed) writeRandomFile(join(folder, key), FILE_BYTES / 2);
    writeFileSync(join(folder, 'data', 'added-while-down.txt'), 'new');
    rmSync(join(folder, 'data', 'file-050.bin'));

    const second = startCli(['sync', folder, '--to', url, '--watch', '--json', '--delete'], { home });
    children.push(second);
    await eventually(() => expect(tree(store)).toEqual(tree(folder)), 120_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const counts = uploadsByKey(home);
    const unchanged = Object.keys(tree(folder)).filter((key) => !changed.includes(key));
    for (const key of unchanged) expect({ key, uploads: counts.get(key) ?? 0 }).toEqual({ key, uploads: 1 });
    for (const key of changed) expect(counts.get(key) ?? 0).toBeGreaterThanOrEqual(1);
  }, 240_000);
});

describe('tierdrop sync with a file the user may not read', () => {
  it('reports it and skips it, and uploads the rest', async () => {
    const folder = temp('sync-denied-src');
    const store = temp('sync-denied-dst');
    const home = temp('sync-denied-home');
    const url = `${pathToFileURL(store).href}?mode=direct`;
    writeFileSync(join(folder, 'a.txt'), 'a');
    writeFileSync(join(folder, 'secret.txt'), 'no');
    writeFileSync(join(folder, 'z.txt'), 'z');
    chmodSync(join(folder, 'secret.txt'), 0o000);

    const run = await runCli(['sync', folder, '--to', url, '--json'], { home, withoutRootFileAccess: true });
    expect(run.code).toBe(1);
    const problems = run.events.filter((event) => event['type'] === 'problem');
    expect(JSON.stringify(problems)).toMatch(/secret\.txt.*permission denied/);
    expect(Object.keys(tree(store)).sort()).toEqual(['a.txt', 'z.txt']);

    const listed = await runCli(['sync', '--list', '--json'], { home });
    const roots = JSON.parse(listed.stdout) as Array<{ failedCount: number; pendingCount: number }>;
    expect(roots).toMatchObject([{ failedCount: 1, pendingCount: 0 }]);
  }, 60_000);
});

describe('tierdrop sync --remove', () => {
  it('forgets the root; what was uploaded stays', async () => {
    const folder = temp('sync-remove-src');
    const store = temp('sync-remove-dst');
    const home = temp('sync-remove-home');
    writeFileSync(join(folder, 'a.txt'), 'a');
    const url = `${pathToFileURL(store).href}?mode=direct`;
    expect((await runCli(['sync', folder, '--to', url], { home })).code).toBe(0);
    const listed = JSON.parse((await runCli(['sync', '--list', '--json'], { home })).stdout) as Array<{ id: string }>;
    const id = listed[0]?.id ?? '';
    expect((await runCli(['sync', '--remove', id.slice(0, 8)], { home })).code).toBe(0);
    expect(JSON.parse((await runCli(['sync', '--list', '--json'], { home })).stdout)).toEqual([]);
    expect(Object.keys(tree(store))).toEqual(['a.txt']);
  }, 60_000);
});
