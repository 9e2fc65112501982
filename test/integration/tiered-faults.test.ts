// Transient faults on every HV and LT call of a tiered upload through the engine and the S3 test
// server, including answers lost after the store acted (the metadata read after complete, the
// tombstone's compare-and-write): an upload completes or fails retryably, and a retry finishes it
// without sending any part again. Judged by the bytes the key resolves to and what the store holds.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoreBackend } from '../../core/backends/index.js';
import { MiB } from '../../core/contract/index.js';
import { TieredStorage } from '../../core/tiered/index.js';
import { sha256OfStream, writeRandomFile } from '../support/files.js';
import { openTestService } from '../support/service.js';
import { useS3World } from '../support/s3-world.js';

const world = useS3World('tiered-faults');
let serial = 0;

function destination(): string {
  return world.url(`f${++serial}`);
}

function service(maxAttempts: number) {
  const opened = openTestService({ partSizeBytes: 5 * MiB, concurrency: 4, maxAttempts, retryBaseDelayMs: 5, retryMaxDelayMs: 20 });
  world.defer(opened.cleanup);
  return opened.service;
}

function source(name: string, sizeBytes: number): { path: string; sha256: string } {
  const path = join(world.scratch, `${++serial}-${name}`);
  writeRandomFile(path, sizeBytes);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

async function facts(storage: TieredStorage, prefix: string): Promise<{ unreferenced: string[]; openUploads: string[] }> {
  const referenced = await storage.referencedRevisions();
  const unreferenced: string[] = [];
  for await (const meta of storage.lt.list(storage.layout.ltRoot)) if (!referenced.has(meta.key)) unreferenced.push(meta.key);
  const openUploads: string[] = [];
  for await (const upload of storage.lt.listUploads(prefix)) openUploads.push(upload.key);
  return { unreferenced, openUploads };
}

function tiered(backend: StoreBackend): TieredStorage {
  if (!(backend instanceof TieredStorage)) throw new Error('expected a tiered destination');
  return backend;
}

describe('tiered uploads under transient faults (S3 test server)', () => {
  it('finishes inline, single-revision and multipart uploads with every call faulted, retrying what fails retryably', async () => {
    const sync = service(12);
    const url = destination();
    const sources = [source('small.txt', 40 * 1024), source('medium.bin', 3 * MiB), source('large.bin', 12 * MiB)];
    world.server.setFaults({
      errorRate: { '*': 0.12 },
      resetRate: { PutObject: 0.05, UploadPart: 0.05 },
      dropAnswerRate: { PutObject: 0.25, CompleteMultipartUpload: 0.4, HeadObject: 0.2, GetObject: 0.1 },
    });
    const added = await sync.engine.addFiles(sources.map((file) => file.path), url);
    await sync.engine.whenIdle();
    for (let round = 0; round < 5; round += 1) {
      const failed = sync.engine.list(['failed']);
      if (failed.length === 0) break;
      for (const view of failed) expect(view.error?.retryable).toBe(true);
      sync.engine.retry(failed.map((view) => view.id));
      await sync.engine.whenIdle();
    }
    world.server.setFaults({});
    expect(added.ids.map((id) => sync.journal.getUpload(id)?.state)).toEqual(['done', 'done', 'done']);
    const store = sync.store(url);
    for (const file of sources) {
      const object = await store.backend.get(`${store.prefix}${file.path.split('/').at(-1) ?? ''}`);
      expect(object === null ? null : await sha256OfStream(object.body)).toBe(file.sha256);
    }
    const storage = tiered(store.backend);
    await sync.dispose(); // lets background cleanups of failed attempts finish
    const reopened = service(3);
    const again = tiered(reopened.store(url).backend);
    await again.recovered();
    expect(await facts(again, store.prefix)).toEqual({ unreferenced: [], openUploads: [] });
    expect(reopened.journal.changes.list()).toEqual([]);
    expect(storage.destination).toBe(again.destination);
  });

  it('reports a retryable failure when every answer to complete is lost and the commit fails, then commits on retry without re-sending a part', async () => {
    const sync = service(3);
    const url = destination();
    const file = source('big.bin', 11 * MiB);
    world.server.setFaults({ dropAnswerRate: { CompleteMultipartUpload: 1 }, errorRate: { PutObject: 1 } });
    const { ids } = await sync.engine.addFiles([file.path], url);
    await sync.engine.whenIdle();
    const id = ids[0] ?? '';
    const failed = sync.journal.getUpload(id);
    expect(failed).toMatchObject({ state: 'failed', errorRetryable: true });

    world.server.setFaults({});
    world.server.resetStats();
    sync.engine.retry([id]);
    await sync.engine.whenIdle();
    expect(sync.journal.getUpload(id)?.state).toBe('done');
    expect(world.server.stats().requests['UploadPart'] ?? 0).toBe(0);
    // At most one complete: the probe that finds the upload already assembled, then straight to the commit.
    expect(world.server.stats().requests['CompleteMultipartUpload'] ?? 0).toBeLessThanOrEqual(1);
    const store = sync.store(url);
    const object = await store.backend.get(`${store.prefix}${file.path.split('/').at(-1) ?? ''}`);
    expect(object === null ? null : await sha256OfStream(object.body)).toBe(file.sha256);
    expect(await facts(tiered(store.backend), store.prefix)).toEqual({ unreferenced: [], openUploads: [] });
    expect(sync.journal.changes.list()).toEqual([]);
  });

  it('treats a compare-and-write whose answer was lost as the commit it was', async () => {
    const sync = service(4);
    const url = destination();
    const file = source('cas.bin', 2 * MiB);
    world.server.setFaults({ dropAnswerRate: { PutObject: 0.5 } });
    const { ids } = await sync.engine.addFiles([file.path], url);
    await sync.engine.whenIdle();
    world.server.setFaults({});
    if (sync.journal.getUpload(ids[0] ?? '')?.state === 'failed') {
      sync.engine.retry(ids);
      await sync.engine.whenIdle();
    }
    expect(sync.journal.getUpload(ids[0] ?? '')?.state).toBe('done');
    const store = sync.store(url);
    const object = await store.backend.get(`${store.prefix}${file.path.split('/').at(-1) ?? ''}`);
    expect(object === null ? null : await sha256OfStream(object.body)).toBe(file.sha256);
    await sync.dispose();
    const reopened = service(3);
    const again = tiered(reopened.store(url).backend);
    await again.recovered();
    expect(await facts(again, store.prefix)).toEqual({ unreferenced: [], openUploads: [] });
  });
});
