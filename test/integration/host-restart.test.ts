// `tierdrop serve` as a real process: killed with SIGKILL mid-upload and started again, it resumes
// from the acknowledged parts and says so in the snapshot; SIGTERM pauses cleanly and exits 0.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, type Snapshot, type TierdropEvent } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { journalPath, settingsPath } from '../../core/service/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { startCli, type CliRun } from '../support/cli.js';
import { sha256OfFile, sha256OfStream, tempDir, writeRandomFile } from '../support/files.js';
import { waitFor } from '../support/service.js';

const READY = /^Tierdrop is ready at (http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+))$/m;

interface Served {
  run: CliRun;
  port: number;
  token: string;
}

async function serve(home: string): Promise<Served> {
  const run = startCli(['serve', '--no-open'], { home });
  await waitFor(() => READY.test(run.stdout()) || run.child.exitCode !== null, 30_000, 'the ready line');
  const match = READY.exec(run.stdout());
  if (match?.[2] === undefined || match[3] === undefined) throw new Error(`serve did not start: ${run.stderr()}`);
  expect(run.stdout().trim().split('\n')).toHaveLength(1);
  return { run, port: Number(match[2]), token: match[3] };
}

function post(served: Served, name: string, input: unknown): Promise<{ ok: boolean; value?: unknown }> {
  return fetch(`http://127.0.0.1:${served.port}/api/command/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  }).then((answer) => answer.json() as Promise<{ ok: boolean; value?: unknown }>);
}

function listen(served: Served): { snapshot: Promise<Snapshot>; events: TierdropEvent[]; close: () => void } {
  const events: TierdropEvent[] = [];
  let resolveSnapshot: (snapshot: Snapshot) => void = () => undefined;
  const snapshot = new Promise<Snapshot>((resolve) => {
    resolveSnapshot = resolve;
  });
  const req = httpRequest({ host: '127.0.0.1', port: served.port, path: `/api/events?token=${served.token}` }, (res) => {
    let pending = '';
    res.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let end = pending.indexOf('\n\n');
      while (end >= 0) {
        const message = pending.slice(0, end);
        pending = pending.slice(end + 2);
        end = pending.indexOf('\n\n');
        const data = message.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
        if (data === undefined) continue;
        if (message.startsWith('event: snapshot') || message.includes('\nevent: snapshot')) resolveSnapshot(JSON.parse(data) as Snapshot);
        else events.push(JSON.parse(data) as TierdropEvent);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { snapshot, events, close: () => req.destroy() };
}

function uploadRow(home: string): { state: string; bytesDone: number } {
  const { journal } = Journal.open(journalPath(home));
  try {
    const [row] = journal.listUploads();
    if (!row) throw new Error('no upload in the journal');
    return { state: row.state, bytesDone: journal.partProgress(row.id).bytesDone };
  } finally {
    journal.close();
  }
}

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir('host-restart');
});
afterAll(() => work.cleanup());

describe('restarting the host', () => {
  it('resumes an upload after SIGKILL, pauses on SIGTERM, and tells the next window what it resumed', async () => {
    const source = join(work.path, 'archive.bin');
    writeRandomFile(source, 64 * MiB);
    const home = join(work.path, 'home');
    const storeUrl = pathToFileURL(join(work.path, 'store')).href;
    const slow = { bandwidthLimitBytesPerSec: 24 * MiB, partSizeBytes: 8 * MiB, concurrency: 2 };
    mkdirSync(home);
    writeFileSync(settingsPath(home), JSON.stringify(slow));

    // 1. Start, upload, kill -9 part way.
    const first = await serve(home);
    const firstEvents = listen(first);
    await firstEvents.snapshot;
    const added = await post(first, 'addFiles', { paths: [source], destination: storeUrl });
    expect(added.ok).toBe(true);
    // Progress counts in-flight bytes too; with two 8 MiB parts in flight, 32 MiB means 16 MiB acknowledged.
    await waitFor(
      () => firstEvents.events.some((event) => event.type === 'transfer.progress' && event.items.some((item) => item.bytesDone >= 32 * MiB)),
      60_000,
      'some parts sent',
    );
    first.run.child.kill('SIGKILL');
    await first.run.exited;
    firstEvents.close();
    const afterKill = uploadRow(home);
    expect(afterKill.bytesDone).toBeGreaterThan(0);
    expect(afterKill.bytesDone).toBeLessThan(64 * MiB);

    // 2. Start again: the upload resumes on its own; SIGTERM pauses it cleanly and exits 0.
    const second = await serve(home);
    const secondEvents = listen(second);
    const secondSnapshot = await secondEvents.snapshot;
    expect(secondSnapshot.notice).toBe('Resumed 1 transfer from your last session.');
    await waitFor(() => secondEvents.events.some((event) => event.type === 'transfer.progress'), 30_000, 'progress after restart');
    second.run.child.kill('SIGTERM');
    expect((await second.run.exited).code, second.run.stderr()).toBe(0);
    secondEvents.close();
    const afterTerm = uploadRow(home);
    expect(afterTerm.state).toBe('queued'); // shut down, not paused by a person: the next start runs it
    expect(afterTerm.bytesDone).toBeGreaterThanOrEqual(afterKill.bytesDone);

    // 3. Start once more at full speed: a window loaded now still sees the notice; the upload
    // starts from the acknowledged bytes and the stored object is the source, byte for byte.
    writeFileSync(settingsPath(home), JSON.stringify({ ...slow, bandwidthLimitBytesPerSec: 0 }));
    const third = await serve(home);
    try {
      const thirdEvents = listen(third);
      const snapshot = await thirdEvents.snapshot;
      expect(snapshot.notice).toBe('Resumed 1 transfer from your last session.');
      expect(snapshot.transfers).toHaveLength(1);
      await waitFor(() => thirdEvents.events.some((event) => event.type === 'transfer.finished'), 60_000, 'finished');
      const firstUpdate = thirdEvents.events.find((event) => event.type === 'transfer.updated');
      if (snapshot.transfers[0]?.state !== 'done' && firstUpdate?.type === 'transfer.updated') {
        expect(firstUpdate.transfer.bytesDone).toBeGreaterThanOrEqual(afterTerm.bytesDone);
      }
      expect(thirdEvents.events.find((event) => event.type === 'transfer.finished')).toMatchObject({ transfer: { state: 'done', key: 'archive.bin' } });
      thirdEvents.close();
      const store = openDestination(storeUrl);
      try {
        const object = await store.backend.get('archive.bin');
        expect(object).not.toBeNull();
        if (object) expect(await sha256OfStream(object.body)).toBe(await sha256OfFile(source));
      } finally {
        await store.backend.dispose();
      }
    } finally {
      third.run.child.kill('SIGTERM');
      expect((await third.run.exited).code, third.run.stderr()).toBe(0);
    }
  }, 180_000);
});
