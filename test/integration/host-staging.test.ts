// Browser drops survive a restart: a staged upload interrupted by closing the host resumes at the
// next start from its staged copy, which is removed once done; staged files nobody queued are swept.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, type TransferView } from '../../core/contract/index.js';
import { startHost, type RunningHost } from '../../core/host/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { sha256OfStream, tempDir } from '../support/files.js';
import { FAST_RETRIES, waitFor } from '../support/service.js';

async function call<T>(host: RunningHost, name: string, input: unknown): Promise<T> {
  const answer = await fetch(`http://127.0.0.1:${host.port}/api/command/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const envelope = (await answer.json()) as { ok: boolean; value: T };
  expect(envelope.ok, JSON.stringify(envelope)).toBe(true);
  return envelope.value;
}

async function stage(host: RunningHost, query: Record<string, string>, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const answer = await fetch(`http://127.0.0.1:${host.port}/api/stage?${new URLSearchParams(query).toString()}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${host.token}` },
    body: bytes,
  });
  expect(answer.status).toBe(200);
}

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir('host-staging');
});
afterAll(() => work.cleanup());

describe('staged uploads across restarts', () => {
  it('resumes a staged upload after the host closed mid-way, then deletes the staged copy', async () => {
    const home = join(work.path, 'home');
    const storeUrl = pathToFileURL(join(work.path, 'store')).href;
    const bytes = Buffer.alloc(40 * MiB);
    for (let offset = 0; offset < bytes.length; offset += 4096) bytes.writeUInt32LE(offset, offset);
    const slow = { ...FAST_RETRIES, bandwidthLimitBytesPerSec: 16 * MiB, partSizeBytes: 8 * MiB, concurrency: 1 };

    const first = await startHost({ home, overrides: slow });
    let closedFirst = false;
    try {
      await stage(first, { destination: storeUrl, batch: 'b1', path: 'video.bin', size: String(bytes.length) }, bytes);
      // A second drop that is never queued: the next start sweeps it away.
      await stage(first, { destination: storeUrl, batch: 'b2', path: 'forgotten.txt', size: '5' }, Buffer.from('hello'));
      const { ids } = await call<{ ids: string[] }>(first, 'addStaged', { batch: 'b1', destination: storeUrl });
      const started = Date.now();
      let sent = 0;
      while (sent < 8 * MiB && Date.now() - started < 30_000) {
        const [view] = await call<TransferView[]>(first, 'listTransfers', {});
        sent = view?.bytesDone ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(ids).toHaveLength(1);
      await first.close();
      closedFirst = true;
    } finally {
      if (!closedFirst) await first.close();
    }
    expect(existsSync(join(home, 'staging', 'b1', 'video.bin'))).toBe(true);

    const second = await startHost({ home, overrides: { ...slow, bandwidthLimitBytesPerSec: 0 } });
    try {
      expect(second.notice).toBe('Resumed 1 transfer from your last session.');
      expect(existsSync(join(home, 'staging', 'b2'))).toBe(false);
      await waitFor(() => !existsSync(join(home, 'staging', 'b1', 'video.bin')), 60_000, 'the staged copy to go');
      const [view] = await call<TransferView[]>(second, 'listTransfers', {});
      expect(view).toMatchObject({ state: 'done', key: 'video.bin' });
    } finally {
      await second.close();
    }
    const store = openDestination(storeUrl);
    try {
      const object = await store.backend.get('video.bin');
      expect(object).not.toBeNull();
      if (object) expect(await sha256OfStream(object.body)).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      await store.backend.dispose();
    }
    // Emptied batch folders go too; only the (empty) folder for half-received files may stay.
    expect(readdirSync(join(home, 'staging')).filter((name) => name !== '.incoming')).toEqual([]);
  }, 120_000);
});
