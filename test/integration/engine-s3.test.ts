// The transfer engine against the S3 protocol test server: pause, resume, cancel, a file changing
// mid-upload, and faults on every operation — judged by what the store holds and received.
import { openSync, writeSync, closeSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { sha256OfFile, sha256OfStream, writeRandomFile } from '../support/files.js';
import { openTestService, waitFor } from '../support/service.js';
import { useS3World } from '../support/s3-world.js';

const PART_BYTES = 8 * MiB;
const world = useS3World('engine-s3');

function destination(prefix: string): string {
  return world.url(prefix);
}

function service(overrides: Parameters<typeof openTestService>[0] = {}) {
  const opened = openTestService({ partSizeBytes: PART_BYTES, concurrency: 4, ...overrides });
  world.defer(opened.cleanup);
  return opened;
}

async function storedSha256(opened: ReturnType<typeof service>, dest: string, key: string): Promise<string | null> {
  const object = await opened.service.store(dest).backend.get(key);
  return object === null ? null : sha256OfStream(object.body);
}

async function openUploads(opened: ReturnType<typeof service>, dest: string): Promise<string[]> {
  const found: string[] = [];
  for await (const upload of opened.service.store(dest).backend.listUploads(opened.service.store(dest).prefix)) found.push(upload.key);
  return found;
}

describe('engine against the S3 test server', () => {
  it('pause stops all part traffic within a second, resume sends only the rest', async () => {
    const source = join(world.scratch, 'pause.bin');
    const sizeBytes = 96 * MiB;
    writeRandomFile(source, sizeBytes);
    const dest = destination('pause');
    const opened = service();
    world.server.resetStats();
    world.server.setFaults({ throttleBytesPerSec: 24 * MiB });

    const { ids } = await opened.service.engine.addFiles([source], dest);
    await waitFor(() => world.server.stats().partBytesStored >= 2 * PART_BYTES, 30_000, 'two parts stored');
    const pausedAtMs = Date.now();
    await opened.service.engine.pause(ids);
    expect(Date.now() - pausedAtMs).toBeLessThan(1_000);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const afterPause = world.server.stats();
    expect(afterPause.inFlightParts).toBe(0);
    expect(afterPause.lastPartByteAtMs ?? 0).toBeLessThanOrEqual(pausedAtMs + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(world.server.stats().partBytesReceived).toBe(afterPause.partBytesReceived);
    expect(opened.service.journal.getUpload(ids[0] ?? '')?.state).toBe('paused');

    const storedBeforeResume = afterPause.partBytesStored;
    world.server.setFaults({});
    opened.service.engine.resume(ids);
    await opened.service.engine.whenIdle();
    const row = opened.service.journal.getUpload(ids[0] ?? '');
    expect(row?.state).toBe('done');
    expect(await storedSha256(opened, dest, 'pause/pause.bin')).toBe(await sha256OfFile(source));
    // Parts stored before the pause were not sent again; only parts cut off mid-flight were.
    const sentAfterResume = world.server.stats().partBytesStored - storedBeforeResume;
    expect(sentAfterResume).toBeLessThanOrEqual(sizeBytes - storedBeforeResume + 4 * PART_BYTES);
    expect(await openUploads(opened, dest)).toEqual([]);
  });

  it('cancel aborts the multipart upload and leaves nothing in the store', async () => {
    const source = join(world.scratch, 'cancel.bin');
    writeRandomFile(source, 64 * MiB);
    const dest = destination('cancel');
    const opened = service();
    world.server.resetStats();
    world.server.setFaults({ throttleBytesPerSec: 32 * MiB });

    const { ids } = await opened.service.engine.addFiles([source], dest);
    await waitFor(() => world.server.stats().partBytesStored >= PART_BYTES, 30_000, 'a part stored');
    expect(await openUploads(opened, dest)).toEqual(['cancel/cancel.bin']);
    await opened.service.engine.cancel(ids);
    expect(opened.service.journal.getUpload(ids[0] ?? '')?.state).toBe('cancelled');
    expect(await openUploads(opened, dest)).toEqual([]);
    expect(await opened.service.store(dest).backend.head('cancel/cancel.bin')).toBeNull();
  });

  it('never commits a file that changed mid-upload, and a retry sends the new content', async () => {
    const source = join(world.scratch, 'changing.bin');
    writeRandomFile(source, 48 * MiB);
    const dest = destination('changing');
    const opened = service();
    world.server.resetStats();
    world.server.setFaults({ throttleBytesPerSec: 24 * MiB });

    const { ids } = await opened.service.engine.addFiles([source], dest);
    const id = ids[0] ?? '';
    await waitFor(() => world.server.stats().partBytesStored >= PART_BYTES, 30_000, 'a part stored');
    // Someone edits the file in place while the rest is uploading.
    const fd = openSync(source, 'r+');
    writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, 40 * MiB);
    closeSync(fd);
    utimesSync(source, new Date(), new Date(Date.now() + 5_000));
    await opened.service.engine.whenIdle();

    const failed = opened.service.journal.getUpload(id);
    expect(failed?.state).toBe('failed');
    expect(failed?.errorCode).toBe('source_changed');
    expect(failed?.errorRetryable).toBe(true);
    expect(await opened.service.store(dest).backend.head('changing/changing.bin')).toBeNull();

    world.server.setFaults({});
    opened.service.engine.retry([id]);
    await opened.service.engine.whenIdle();
    expect(opened.service.journal.getUpload(id)?.state).toBe('done');
    expect(await storedSha256(opened, dest, 'changing/changing.bin')).toBe(await sha256OfFile(source));
    expect(await openUploads(opened, dest)).toEqual([]);
  });

  it('rides out transient faults on every operation and stores the exact bytes', async () => {
    const big = join(world.scratch, 'faulty.bin');
    const small = join(world.scratch, 'faulty-small.txt');
    writeRandomFile(big, 40 * MiB);
    writeRandomFile(small, 3000);
    const dest = destination('faulty');
    const opened = service({ maxAttempts: 20 });
    world.server.setFaults({ errorRate: { '*': 0.2 }, resetRate: { UploadPart: 0.1 }, completeErrorRate: 0.5 });

    const { ids } = await opened.service.engine.addFiles([big, small], dest);
    await opened.service.engine.whenIdle();
    for (const id of ids) expect(opened.service.journal.getUpload(id)?.state).toBe('done');
    world.server.setFaults({});
    expect(await storedSha256(opened, dest, 'faulty/faulty.bin')).toBe(await sha256OfFile(big));
    expect(await storedSha256(opened, dest, 'faulty/faulty-small.txt')).toBe(await sha256OfFile(small));
  });

  it('reports a store failing every request as a retryable error, keeps the journal consistent, and retries', async () => {
    const source = join(world.scratch, 'broken.bin');
    writeRandomFile(source, 20 * MiB);
    const dest = destination('broken');
    const opened = service();
    world.server.setFaults({ errorRate: { '*': 1 } });

    const { ids } = await opened.service.engine.addFiles([source], dest);
    const id = ids[0] ?? '';
    await opened.service.engine.whenIdle();
    const row = opened.service.journal.getUpload(id);
    expect(row?.state).toBe('failed');
    expect(row?.errorCode).toBe('store_error');
    expect(row?.errorRetryable).toBe(true);
    expect(row?.errorMessage).toMatch(/gave up after 3 attempts/);

    // The journal on disk, read by a second connection, is intact and says the same.
    const { journal } = Journal.open(journalPath(opened.home));
    try {
      expect(journal.integrityCheck()).toEqual([]);
      expect(journal.getUpload(id)?.state).toBe('failed');
    } finally {
      journal.close();
    }

    world.server.setFaults({});
    opened.service.engine.retry([id]);
    await opened.service.engine.whenIdle();
    expect(opened.service.journal.getUpload(id)?.state).toBe('done');
    expect(await storedSha256(opened, dest, 'broken/broken.bin')).toBe(await sha256OfFile(source));
  });

  it('restarts a stalled request instead of waiting forever', async () => {
    const source = join(world.scratch, 'stall.bin');
    writeRandomFile(source, 12 * MiB);
    const dest = destination('stall');
    const opened = service({ stallTimeoutMs: 500, maxAttempts: 4 });
    world.server.setFaults({ latencyMs: 2_000 });
    const { ids } = await opened.service.engine.addFiles([source], dest);
    await opened.service.engine.whenIdle();
    const row = opened.service.journal.getUpload(ids[0] ?? '');
    expect(row?.state).toBe('failed');
    expect(row?.errorCode).toBe('stalled');
    expect(row?.errorRetryable).toBe(true);
  });

  it('says clearly when the endpoint does not answer', async () => {
    const source = join(world.scratch, 'unreachable.txt');
    writeRandomFile(source, 1000);
    const dest = `s3://bucket/x?endpoint=${encodeURIComponent('http://127.0.0.1:9')}&region=us-east-1`;
    const opened = service();
    const { ids } = await opened.service.engine.addFiles([source], dest);
    await opened.service.engine.whenIdle();
    const row = opened.service.journal.getUpload(ids[0] ?? '');
    expect(row?.state).toBe('failed');
    expect(row?.errorCode).toBe('unreachable');
    expect(row?.errorMessage).toContain('127.0.0.1:9');
  });
});
