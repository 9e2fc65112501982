// SyncService as the shells see it: answers as envelopes, one engine per home folder, settings
// that survive a restart, and a damaged settings file set aside rather than trusted or lost.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { SyncService, settingsPath } from '../../core/service/index.js';
import { sha256OfFile, tempDir } from '../support/files.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function home(): string {
  const dir = tempDir('service');
  cleanups.push(dir.cleanup);
  return dir.path;
}

function open(path: string): SyncService {
  const { service } = SyncService.open(path);
  cleanups.push(() => service.dispose());
  return service;
}

describe('SyncService', () => {
  it('answers commands with envelopes and validates their input', async () => {
    const service = open(home());
    const bad = await service.handle('pause', { ids: [] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('invalid_input');
    const badUrl = await service.handle('addFiles', { paths: ['/tmp'], destination: 'ftp://nowhere' });
    expect(badUrl.ok).toBe(false);
    const settings = await service.handle('getSettings', {});
    expect(settings).toMatchObject({ ok: true, value: { concurrency: 8, partSizeBytes: 8 * MiB } });
  });

  it('uploads through the envelope API to a local folder', async () => {
    const dir = home();
    const source = join(dir, 'note.txt');
    writeFileSync(source, 'remember the milk');
    const service = open(join(dir, 'home'));
    const added = await service.handle('addFiles', { paths: [source], destination: `file://${join(dir, 'store')}` });
    expect(added.ok).toBe(true);
    await service.engine.whenIdle();
    const listed = await service.handle('listTransfers', {});
    expect(listed.ok && listed.value.map((view) => [view.key, view.state, view.bytesDone])).toEqual([['note.txt', 'done', 17]]);
    expect(await sha256OfFile(join(dir, 'store', 'note.txt'))).toBe(await sha256OfFile(source));
  });

  it('lets only one process drive a home folder, and takes over a dead owner\'s lock', async () => {
    const path = home();
    const first = open(path);
    expect(() => SyncService.open(path)).toThrow(/already running uploads/);
    await first.dispose();
    writeFileSync(join(path, 'engine.lock'), '999999\n');
    const second = open(path);
    expect(second.home).toBe(path);
  });

  it('keeps settings across restarts and sets a damaged settings file aside', async () => {
    const path = home();
    const first = open(path);
    first.setSettings({ concurrency: 3 });
    await first.dispose();
    expect(open(path).settings.concurrency).toBe(3);
    await cleanups.pop()?.();

    writeFileSync(settingsPath(path), '{ "concurrency": "lots"');
    const { service, warnings } = SyncService.open(path);
    cleanups.push(() => service.dispose());
    expect(service.settings.concurrency).toBe(8);
    expect(warnings.join('\n')).toMatch(/could not be read .* moved to .*damaged/);
    expect(readdirSync(path).some((name) => name.startsWith('settings.json.damaged-'))).toBe(true);
  });

  it('changes only the settings a patch names', async () => {
    const service = open(home());
    const before = service.settings.destinations;
    expect(before.length).toBeGreaterThan(0);
    const changed = await service.handle('setSettings', { concurrency: 3 });
    expect(changed).toMatchObject({ ok: true, value: { concurrency: 3, partSizeBytes: 8 * MiB } });
    expect(service.settings.destinations).toEqual(before);
  });

  it('creates its home folder when missing', () => {
    const path = join(home(), 'deep', 'er');
    mkdirSync(join(path, '..'), { recursive: true });
    open(path);
    expect(existsSync(join(path, 'journal.sqlite'))).toBe(true);
  });
});
