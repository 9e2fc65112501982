// A write the store commits after its client gave up on it (issue 4): the client aborts a PUT of a
// new LT revision once the store has the whole body, the store commits it a moment later, and the
// cleanup of the failed put must still leave no revision behind, nor forget the change too early.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { openDestination, type TieredStorage } from '../../core/tiered/index.js';
import { waitFor } from '../support/service.js';
import { useS3World } from '../support/s3-world.js';

/** Well inside the late-write window the cleanup waits out, yet later than a prompt cleanup. */
const STORE_COMMIT_DELAY_MS = 600;

const world = useS3World('tiered-late-write');
let serial = 0;

/** Everything from 1 KiB up is an LT revision, so a small body is enough to exercise the race. */
function destination(): string {
  return world.url(`late${++serial}`, '&inline-below=1024');
}

function open(url: string, journal: Journal): { storage: TieredStorage; prefix: string } {
  const opened = openDestination(url, { changes: journal.changes });
  const storage = opened.tiered;
  if (storage === null) throw new Error('expected a tiered destination');
  return { storage, prefix: opened.prefix };
}

async function revisions(storage: TieredStorage): Promise<string[]> {
  const found: string[] = [];
  for await (const meta of storage.lt.list(storage.layout.ltRoot)) found.push(meta.key);
  return found;
}

describe('a revision the store commits after its put was given up', () => {
  it('is deleted by the cleanup of the failed put, and the change stays recorded until then', async () => {
    const journal = Journal.openInMemory();
    const { storage, prefix } = open(destination(), journal);
    world.defer(async () => {
      await storage.dispose();
      journal.close();
    });
    await storage.recovered();
    world.server.setFaults({ commitDelayMs: { PutObject: STORE_COMMIT_DELAY_MS } });
    const before = world.server.stats();
    const body = randomBytes(256 * KiB);
    const request = new AbortController();
    const putting = storage.put(`${prefix}late.bin`, body, { contentLength: body.length, signal: request.signal });
    // The store holds the whole body and is about to commit it: the client gives up now (a stall, a pause).
    await waitFor(() => world.server.stats().objectBytesReceived >= before.objectBytesReceived + body.length, 10_000, 'the body to arrive');
    request.abort();
    await expect(putting).rejects.toMatchObject({ retryable: true });

    await waitFor(() => world.server.stats().objectsStored > before.objectsStored, 10_000, 'the late commit');
    expect(journal.changes.list()).toHaveLength(1);
    await waitFor(() => journal.changes.list().length === 0, 15_000, 'the cleanup to finish');
    expect(await revisions(storage)).toEqual([]);
    expect(await storage.get(`${prefix}late.bin`)).toBeNull();
  });

  it('is deleted even when the storage is disposed right after the put failed', async () => {
    const journal = Journal.openInMemory();
    const url = destination();
    const first = open(url, journal);
    await first.storage.recovered();
    world.server.setFaults({ commitDelayMs: { PutObject: STORE_COMMIT_DELAY_MS } });
    const before = world.server.stats();
    const body = randomBytes(256 * KiB);
    const request = new AbortController();
    const putting = first.storage.put(`${first.prefix}late.bin`, body, { contentLength: body.length, signal: request.signal });
    await waitFor(() => world.server.stats().objectBytesReceived >= before.objectBytesReceived + body.length, 10_000, 'the body to arrive');
    request.abort();
    await expect(putting).rejects.toMatchObject({ retryable: true });
    await first.storage.dispose(); // right away: the late commit has not landed yet

    const second = open(url, journal);
    world.defer(async () => {
      await second.storage.dispose();
      journal.close();
    });
    await second.storage.recovered();
    await waitFor(() => world.server.stats().objectsStored > before.objectsStored, 10_000, 'the late commit');
    expect(journal.changes.list()).toEqual([]);
    expect(await revisions(second.storage)).toEqual([]);
  });
});
