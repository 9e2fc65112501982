// A watched folder, in process: the destination follows creates, changes, deletes and renames;
// deletions are kept unless the root mirrors them; ignore rules hold; a file written slowly is
// uploaded once, complete.
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncDeletions } from '../../core/contract/index.js';
import type { SyncService } from '../../core/service/index.js';
import { tempDir } from '../support/files.js';
import { openTestService } from '../support/service.js';
import { eventually, tree } from './sync-support.js';

let cleanups: Array<() => Promise<void> | void> = [];
let folder: string;
let store: string;
let service: SyncService;

beforeEach(() => {
  const source = tempDir('sync-src');
  const destination = tempDir('sync-dst');
  const opened = openTestService();
  folder = source.path;
  store = destination.path;
  service = opened.service;
  cleanups = [opened.cleanup, source.cleanup, destination.cleanup];
});

afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const destinationUrl = () => `${pathToFileURL(store).href}?mode=direct`;

async function watchRoot(deletions: SyncDeletions = 'keep'): Promise<string> {
  const added = await service.handle('addSyncRoot', { folder, destination: destinationUrl(), options: { deletions } });
  if (!added.ok) throw new Error(added.error.message);
  const id = added.value.id;
  await eventually(() => expect(service.sync.get(id).state).toBe('watching'));
  return id;
}

describe('a watched folder', () => {
  it('follows creates, changes, renames and folder moves, and keeps deleted files in the store by default', async () => {
    writeFileSync(join(folder, 'before.txt'), 'there before watching');
    const id = await watchRoot('keep');
    await eventually(() => expect(tree(store)).toEqual(tree(folder)));

    writeFileSync(join(folder, 'new.txt'), 'created');
    mkdirSync(join(folder, 'sub'));
    writeFileSync(join(folder, 'sub', 'inner.txt'), 'inside');
    await eventually(() => expect(tree(store)).toEqual(tree(folder)));

    writeFileSync(join(folder, 'new.txt'), 'changed, and longer');
    renameSync(join(folder, 'sub', 'inner.txt'), join(folder, 'sub', 'renamed.txt'));
    const outside = tempDir('sync-outside');
    cleanups.push(outside.cleanup);
    mkdirSync(join(outside.path, 'moved', 'deep'), { recursive: true });
    writeFileSync(join(outside.path, 'moved', 'deep', 'x.txt'), 'moved in');
    renameSync(join(outside.path, 'moved'), join(folder, 'moved'));
    rmSync(join(folder, 'before.txt'));

    const expected = { ...tree(folder), 'before.txt': expect.any(String), 'sub/inner.txt': expect.any(String) };
    await eventually(() => expect(tree(store)).toEqual(expected));
    await service.sync.whenIdle(id);
    expect(tree(store)['new.txt']).toBe(tree(folder)['new.txt']);
    const view = service.sync.get(id);
    expect(view).toMatchObject({ pendingCount: 0, failedCount: 0, state: 'watching' });
    expect(view.lastSyncedAt).not.toBeNull();
  });

  it('mirrors deletions when asked: deleted and renamed-away files leave the store', async () => {
    mkdirSync(join(folder, 'dir'));
    writeFileSync(join(folder, 'a.txt'), 'a');
    writeFileSync(join(folder, 'dir', 'b.txt'), 'b');
    writeFileSync(join(folder, 'c.txt'), 'c');
    await watchRoot('mirror');
    await eventually(() => expect(tree(store)).toEqual(tree(folder)));

    rmSync(join(folder, 'a.txt'));
    rmSync(join(folder, 'dir'), { recursive: true });
    renameSync(join(folder, 'c.txt'), join(folder, 'd.txt'));
    await eventually(() => expect(tree(store)).toEqual({ 'd.txt': tree(folder)['d.txt'] }));
  });

  it('honours the default ignore rules and .tierdropignore, and picks up a changed .tierdropignore', async () => {
    writeFileSync(join(folder, '.tierdropignore'), '*.log\nbuild/\n');
    writeFileSync(join(folder, 'kept.txt'), 'kept');
    writeFileSync(join(folder, 'noise.log'), 'ignored');
    writeFileSync(join(folder, '.DS_Store'), 'ignored');
    writeFileSync(join(folder, 'draft.tmp'), 'ignored');
    const id = await watchRoot();
    await eventually(() => expect(Object.keys(tree(store)).sort()).toEqual(['.tierdropignore', 'kept.txt']));

    mkdirSync(join(folder, 'build'));
    writeFileSync(join(folder, 'build', 'out.js'), 'ignored');
    writeFileSync(join(folder, 'more.log'), 'ignored');
    writeFileSync(join(folder, '.report.odt.swp'), 'ignored');
    writeFileSync(join(folder, 'later.txt'), 'kept');
    await eventually(() => expect(Object.keys(tree(store)).sort()).toEqual(['.tierdropignore', 'kept.txt', 'later.txt']));
    await service.sync.whenIdle(id);
    expect(Object.keys(tree(store))).not.toContain('build/out.js');

    writeFileSync(join(folder, '.tierdropignore'), 'build/\n');
    await eventually(() => expect(Object.keys(tree(store)).sort()).toEqual(['.tierdropignore', 'kept.txt', 'later.txt', 'more.log', 'noise.log']));
  });

  it('honours a .tierdropignore in a sub-folder for that folder only, and picks up its changes', async () => {
    mkdirSync(join(folder, 'app', 'cache'), { recursive: true });
    mkdirSync(join(folder, 'docs'));
    writeFileSync(join(folder, 'app', '.tierdropignore'), 'cache/\n*.log\n/local.env\n');
    writeFileSync(join(folder, 'app', 'main.ts'), 'kept');
    writeFileSync(join(folder, 'app', 'cache', 'blob'), 'ignored');
    writeFileSync(join(folder, 'app', 'debug.log'), 'ignored');
    writeFileSync(join(folder, 'app', 'local.env'), 'ignored');
    writeFileSync(join(folder, 'docs', 'debug.log'), 'kept: the rule is app/’s');
    writeFileSync(join(folder, 'docs', 'local.env'), 'kept: anchored to app/');
    const id = await watchRoot();
    const kept = ['app/.tierdropignore', 'app/main.ts', 'docs/debug.log', 'docs/local.env'];
    await eventually(() => expect(Object.keys(tree(store)).sort()).toEqual(kept));

    writeFileSync(join(folder, 'app', 'later.log'), 'ignored');
    writeFileSync(join(folder, 'app', 'later.ts'), 'kept');
    await eventually(() => expect(Object.keys(tree(store)).sort()).toEqual([...kept, 'app/later.ts'].sort()));
    await service.sync.whenIdle(id);
    expect(Object.keys(tree(store))).not.toContain('app/later.log');

    writeFileSync(join(folder, 'app', '.tierdropignore'), 'cache/\n');
    await eventually(() =>
      expect(Object.keys(tree(store)).sort()).toEqual([...kept, 'app/debug.log', 'app/later.log', 'app/later.ts', 'app/local.env'].sort()),
    );
  });

  it('does not follow symbolic links unless asked', async () => {
    const outside = tempDir('sync-link-target');
    cleanups.push(outside.cleanup);
    writeFileSync(join(outside.path, 'elsewhere.txt'), 'not in the folder');
    writeFileSync(join(folder, 'real.txt'), 'real');
    symlinkSync(join(outside.path, 'elsewhere.txt'), join(folder, 'link.txt'));
    symlinkSync(outside.path, join(folder, 'linked-folder'));
    const id = await watchRoot();
    await service.sync.whenIdle(id);
    expect(Object.keys(tree(store))).toEqual(['real.txt']);
  });

  it('uploads a file written in small appends for 5 seconds once, complete', async () => {
    const id = await watchRoot();
    const path = join(folder, 'growing.log.txt');
    const started = Date.now();
    let line = 0;
    while (Date.now() - started < 5_000) {
      appendFileSync(path, `line ${line} ${'x'.repeat(200)}\n`);
      line += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await eventually(() => expect(tree(store)['growing.log.txt']).toBe(tree(folder)['growing.log.txt']), 30_000);
    await service.sync.whenIdle(id);
    const uploads = service.journal.listUploads().filter((row) => row.key === 'growing.log.txt');
    expect(uploads.map((row) => row.state)).toEqual(['done']);
    expect(uploads[0]?.sizeBytes).toBe(statSync(path).size);
  });

  it('reports a remote change by another writer before overwriting it', async () => {
    writeFileSync(join(folder, 'shared.txt'), 'mine');
    const id = await watchRoot();
    await eventually(() => expect(tree(store)['shared.txt']).toBe(tree(folder)['shared.txt']));
    await service.sync.whenIdle(id);

    writeFileSync(join(store, 'shared.txt'), 'someone else wrote this');
    writeFileSync(join(folder, 'shared.txt'), 'mine, edited');
    await eventually(() => expect(tree(store)['shared.txt']).toBe(tree(folder)['shared.txt']));
    await eventually(() => {
      const conflict = service.sync.get(id).errors.find((problem) => problem.error.code === 'conflict');
      expect(conflict?.error.message).toMatch(/another writer/);
    });
  });

  it('pauses and resumes a root, and forgets it when removed', async () => {
    const id = await watchRoot();
    const paused = await service.handle('pauseSyncRoot', { id });
    expect(paused.ok && paused.value.state).toBe('paused');
    writeFileSync(join(folder, 'while-paused.txt'), 'waits');
    const resumed = await service.handle('resumeSyncRoot', { id });
    expect(resumed.ok).toBe(true);
    await eventually(() => expect(tree(store)).toEqual(tree(folder)));
    const removed = await service.handle('removeSyncRoot', { id });
    expect(removed).toEqual({ ok: true, value: { id } });
    const listed = await service.handle('listSyncRoots', {});
    expect(listed).toEqual({ ok: true, value: [] });
  });
});

