// SyncService as the shells see it: answers as envelopes, one engine per home folder, settings
// that survive a restart, and a damaged settings file set aside rather than trusted or lost.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB, transferViewsOf, type TransferView } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { SyncService, journalPath, settingsPath } from '../../core/service/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { sha256OfFile, sha256OfStream, tempDir } from '../support/files.js';

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

  it('shows a tiered upload in parts as committing between assembling its parts and done', async () => {
    const dir = home();
    const source = join(dir, 'big.bin');
    const bytes = randomBytes(11 * MiB);
    writeFileSync(source, bytes);
    const service = open(join(dir, 'home'));
    service.setSettings({ partSizeBytes: 5 * MiB });
    const states: string[] = [];
    service.engine.on((event) => {
      if (event.type === 'transfer.progress' || event.type === 'transfer.finished') return;
      for (const transfer of transferViewsOf(event)) if (states.at(-1) !== transfer.state) states.push(transfer.state);
    });
    const url = `file://${join(dir, 'store')}`;
    expect((await service.handle('addFiles', { paths: [source], destination: url })).ok).toBe(true);
    await service.engine.whenIdle();
    expect(states).toEqual(['queued', 'preparing', 'uploading', 'completing', 'committing', 'done']);
    const opened = openDestination(url);
    const storage = opened.tiered;
    if (storage === null) throw new Error('expected a tiered destination');
    try {
      const object = await storage.get(`${opened.prefix}big.bin`);
      expect(object === null ? null : await sha256OfStream(object.body)).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      await storage.dispose();
    }
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

  it('tells a file is finished only once its done state is in the journal file', async () => {
    const dir = home();
    const folder = join(dir, 'many');
    mkdirSync(folder);
    for (let index = 0; index < 40; index += 1) writeFileSync(join(folder, `f${index}.txt`), `file ${index}`);
    const service = open(join(dir, 'home'));
    // What another process (or this one after a crash) would read: the file itself, not memory.
    const { journal: reader } = Journal.open(journalPath(join(dir, 'home')));
    cleanups.push(() => reader.close());
    const statesOnDisk: string[] = [];
    service.on((event) => {
      if (event.type === 'transfer.finished') statesOnDisk.push(reader.getUpload(event.transfer.id)?.state ?? 'missing');
    });
    const added = await service.engine.addFiles([folder], `file://${join(dir, 'store')}`);
    expect(added.ids).toHaveLength(40);
    await service.engine.whenIdle();
    expect(statesOnDisk).toEqual(Array.from({ length: 40 }, () => 'done'));
  });

  it('queues a folder of many files at once, and pauses and resumes them all', async () => {
    const dir = home();
    const folder = join(dir, 'many');
    mkdirSync(folder);
    for (let index = 0; index < 300; index += 1) writeFileSync(join(folder, `f${String(index).padStart(3, '0')}.txt`), `file ${index}`);
    const service = open(join(dir, 'home'));
    const added = await service.engine.addFiles([folder], `file://${join(dir, 'store')}`);
    expect(added.problems).toEqual([]);
    const paused = await service.engine.pauseAll();
    // The first chunk starts while the rest is walked, so a few may be done before the pause.
    const done = service.engine.list(['done']).map((view) => view.id);
    expect([...paused, ...done].sort()).toEqual([...added.ids].sort());
    const states = new Set(service.engine.list().map((view) => view.state));
    expect([...states].every((state) => state === 'paused' || state === 'done')).toBe(true);
    service.engine.resumeAll();
    await service.engine.whenIdle();
    expect(service.engine.list().map((view) => view.state)).toEqual(Array.from({ length: 300 }, () => 'done'));
    expect(readdirSync(join(dir, 'store', 'many'))).toHaveLength(300);
  });

  it('lists the first files of a big folder before the whole folder is walked, in a few events', async () => {
    const dir = home();
    const folder = join(dir, 'big');
    mkdirSync(folder);
    const count = 3000;
    for (let index = 0; index < count; index += 1) writeFileSync(join(folder, `f${String(index).padStart(4, '0')}.txt`), `${index}`);
    const service = open(join(dir, 'home'));
    const addedEvents: TransferView[][] = [];
    let resolved = false;
    let addedBeforeAnswer = 0;
    service.on((event) => {
      if (event.type !== 'transfers.added') return;
      addedEvents.push([...event.transfers]);
      if (!resolved) addedBeforeAnswer += event.transfers.length;
    });
    const missing = join(dir, 'missing.txt');
    const added = await service.engine.addFiles([folder, missing], `file://${join(dir, 'store')}`);
    resolved = true;

    // The first rows were announced while the folder was still being walked.
    expect(addedEvents[0]?.length).toBeLessThan(count);
    expect(addedBeforeAnswer).toBe(count);
    expect(addedEvents.length).toBeLessThan(count / 100);
    // The same answer as one admission would give: every file once, in the folder's order, and
    // the problem met after the folder does not lose what was queued before it.
    expect(addedEvents.flat().map((view) => view.id)).toEqual(added.ids);
    expect(addedEvents.flat().map((view) => view.key)).toEqual(Array.from({ length: count }, (_, index) => `big/f${String(index).padStart(4, '0')}.txt`));
    expect(added.problems.map((problem) => problem.path)).toEqual([missing]);
    await service.engine.whenIdle();
    expect(readdirSync(join(dir, 'store', 'big'))).toHaveLength(count);
  }, 60_000);
});
