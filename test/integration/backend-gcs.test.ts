// GcsBackend against our GCS JSON-API test server: the full backend contract with no skips, then
// what only GCS shows: faults retried or reported, generation preconditions, parallel composite
// uploads composed in rounds of 32, and nothing left behind after abort.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GcsBackend, type GcsBackendOptions } from '../../core/backends/gcs/index.js';
import { isTierdropError, type TierdropError } from '../../core/errors/index.js';
import { describeBackendContract } from '../contract/backend-contract.js';
import { crc32cBase64, crc32cOf, startGcsTestServer, type GcsTestServer } from '../support/gcs-server/index.js';

const BUCKET = 'contract';

describeBackendContract('gcs test server', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tierdrop-gcs-contract-'));
  const server = await startGcsTestServer({ dataDir, port: 0, buckets: [BUCKET] });
  const backend = new GcsBackend({ bucket: BUCKET, endpoint: server.endpoint });
  return {
    backend,
    minPartBytes: 1, // compose has no minimum part size
    cleanup: async () => {
      await backend.dispose();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('GcsBackend against the GCS test server', () => {
  let dataDir: string;
  let server: GcsTestServer;
  const backends: GcsBackend[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tierdrop-gcs-'));
    server = await startGcsTestServer({ dataDir, port: 0, buckets: [BUCKET] });
  });
  afterEach(async () => {
    server.setFaults({});
    for (const backend of backends.splice(0)) await backend.dispose();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function backend(overrides: Partial<GcsBackendOptions> = {}): GcsBackend {
    const opened = new GcsBackend({ bucket: BUCKET, endpoint: server.endpoint, ...overrides });
    backends.push(opened);
    return opened;
  }

  async function temporaries(): Promise<string[]> {
    const answer = await fetch(`${server.endpoint}/storage/v1/b/${BUCKET}/o?prefix=${encodeURIComponent('.tierdrop/')}`);
    const page = (await answer.json()) as { items?: Array<{ name: string }> };
    return (page.items ?? []).map((item) => item.name);
  }

  it('maps injected 503s to a retryable store_error naming the key, and works once they stop', async () => {
    const store = backend();
    server.setFaults({ errorRate: { 'objects.insert': 1 } });
    const failure = await failureOf(store.put('faulty/a.txt', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure.message).toContain('Cannot upload "faulty/a.txt" in gs://contract');
    server.setFaults({ errorRate: { 'objects.get': 1 } });
    expect(await failureOf(store.head('faulty/a.txt'))).toMatchObject({ code: 'store_error', retryable: true });
    server.setFaults({});
    await expect(store.put('faulty/a.txt', Buffer.from('x'), { contentLength: 1 })).resolves.toMatchObject({ etag: expect.stringMatching(/^\d+$/) });
  });

  it('a connection reset mid-part is a retryable failure and stores nothing', async () => {
    const store = backend();
    const uploadId = await store.initiate('reset.bin');
    server.setFaults({ resetRate: { 'objects.insert': 1 } });
    const failure = await failureOf(store.uploadPart('reset.bin', uploadId, 1, Buffer.alloc(1024 * 1024, 5), 1024 * 1024));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    server.setFaults({});
    expect(await store.listParts('reset.bin', uploadId)).toEqual([]);
    await store.abort('reset.bin', uploadId);
  });

  it('the engine retries injected faults and still stores the exact bytes', async () => {
    const { openTestService } = await import('../support/service.js');
    const { writeRandomFile, sha256OfFile, sha256OfStream, tempDir } = await import('../support/files.js');
    const files = tempDir('gcs-faults');
    const opened = openTestService({ maxAttempts: 12, partSizeBytes: 5 * 1024 * 1024 });
    cleanups.push(async () => {
      await opened.cleanup();
      files.cleanup();
    });
    const source = join(files.path, 'faulty.bin');
    writeRandomFile(source, 24 * 1024 * 1024);
    server.setFaults({ errorRate: { 'objects.insert': 0.25, 'objects.compose': 0.3 }, resetRate: { 'objects.insert': 0.15 } });
    const destination = `gs://${BUCKET}/faults?endpoint=${encodeURIComponent(server.endpoint)}&mode=direct`;
    const { ids } = await opened.service.engine.addFiles([source], destination);
    await opened.service.engine.whenIdle();
    server.setFaults({});
    expect(opened.service.journal.getUpload(ids[0] ?? '')?.state).toBe('done');
    const stored = await backend().get('faults/faulty.bin');
    expect(stored === null ? null : await sha256OfStream(stored.body)).toBe(await sha256OfFile(source));
    expect(await temporaries()).toEqual([]);
  });

  it('401 is invalid_credentials and 403 is access_denied, each with what to do', async () => {
    const store = backend();
    server.setFaults({ deny: 401 });
    const unauthenticated = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(unauthenticated).toMatchObject({ code: 'invalid_credentials', retryable: false });
    expect(unauthenticated.hint).toContain('application-default login');
    server.setFaults({ deny: 403 });
    const forbidden = await failureOf(store.head('a'));
    expect(forbidden).toMatchObject({ code: 'access_denied', retryable: false });
    expect(forbidden.hint).toContain('roles/storage.objectUser');
  });

  it('a missing bucket is not_found, saying which and where', async () => {
    const store = backend({ bucket: 'no-such-bucket' });
    const failure = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure.code).toBe('not_found');
    expect(failure.message).toContain(`bucket no-such-bucket does not exist at ${server.endpoint}`);
    expect(failure.hint).toContain('Create the bucket');
    expect(await failureOf(store.head('a'))).toMatchObject({ code: 'not_found' });
  });

  it('a closed endpoint is unreachable at once', async () => {
    const closedDir = await mkdtemp(join(tmpdir(), 'tierdrop-gcs-closed-'));
    const closed = await startGcsTestServer({ dataDir: closedDir, port: 0, buckets: [BUCKET] });
    await closed.close();
    await rm(closedDir, { recursive: true, force: true });
    const store = backend({ endpoint: closed.endpoint });
    expect(await failureOf(store.head('a'))).toMatchObject({ code: 'unreachable', retryable: true });
    const failure = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'unreachable', retryable: true });
    expect(failure.message).toContain(closed.endpoint);
  });

  it('an endpoint that is not GCS is reported as such', async () => {
    const web: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => web.close(() => resolve())));
    const address = web.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const store = backend({ endpoint: `http://127.0.0.1:${port}` });
    const failure = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'store_error' });
    expect(failure.message).toContain('not GCS');
    expect(failure.hint).toContain('JSON API endpoint');
    expect((await failureOf(collect(store.list('')))).message).toContain('not GCS');
  });

  it('compareAndWrite is a generation precondition: a stale generation conflicts', async () => {
    const store = backend();
    const { etag: first } = await store.put('cas/doc', Buffer.from('v1'), { contentLength: 2 });
    const { etag: second } = await store.put('cas/doc', Buffer.from('v2'), { contentLength: 2 });
    expect(BigInt(second)).toBeGreaterThan(BigInt(first));
    expect(await store.compareAndWrite('cas/doc', first, Buffer.from('stale'))).toBe('conflict');
    expect(await store.compareAndWrite('cas/doc', second, Buffer.from('v3'))).toBe('written');
    // An etag from another store can never be a generation here.
    expect(await store.compareAndWrite('cas/doc', '"d41d8cd98f00b204e9800998ecf8427e"', Buffer.from('other'))).toBe('conflict');
  });

  it('composes 70 parts in rounds of at most 32 and leaves no temporary object', async () => {
    const store = backend();
    const parts = Array.from({ length: 70 }, (_, index) => Buffer.alloc(1000 + index, index));
    const uploadId = await store.initiate('rounds.bin', { contentType: 'application/x-test', metadata: { rounds: 'yes' } });
    const receipts = await Promise.all(parts.map((bytes, index) => store.uploadPart('rounds.bin', uploadId, index + 1, bytes, bytes.length)));
    expect(receipts[0]?.checksum).toBe(crc32cBase64(crc32cOf(parts[0] ?? Buffer.alloc(0))));
    server.resetStats();
    expect(await store.complete('rounds.bin', uploadId, receipts)).toBeNull();
    // 70 parts: three composes of 32, 32 and 6 into intermediates, then one final compose.
    expect(server.stats().requests['objects.compose']).toBe(4);
    const object = await store.get('rounds.bin');
    expect(object?.meta).toMatchObject({ sizeBytes: parts.reduce((sum, bytes) => sum + bytes.length, 0), contentType: 'application/x-test', metadata: { rounds: 'yes' } });
    expect(object === null ? null : await readAll(object.body)).toEqual(Buffer.concat(parts));
    expect(await temporaries()).toEqual([]);
    expect(await collect(store.listUploads(''))).toEqual([]);
  });

  it('a part uploaded again after its receipt was taken is caught by complete', async () => {
    const store = backend();
    const uploadId = await store.initiate('replaced-behind.bin');
    const receipt = await store.uploadPart('replaced-behind.bin', uploadId, 1, Buffer.from('first'), 5);
    await store.uploadPart('replaced-behind.bin', uploadId, 1, Buffer.from('other'), 5);
    const failure = await store.complete('replaced-behind.bin', uploadId, [receipt]);
    expect(failure).toMatchObject({ code: 'invalid_input', retryable: false });
    expect(failure?.message).toContain('part 1');
    expect(await store.head('replaced-behind.bin')).toBeNull();
    await store.abort('replaced-behind.bin', uploadId);
  });

  it('a complete whose cleanup failed says so, and its retry finds the object in place and finishes the cleanup', async () => {
    const store = backend();
    const uploadId = await store.initiate('retried.bin');
    const receipt = await store.uploadPart('retried.bin', uploadId, 1, Buffer.from('assembled once'), 14);
    server.setFaults({ errorRate: { 'objects.delete': 1 } });
    // Answering success here would leave the temporaries for good: nothing completes a done upload again.
    expect(await store.complete('retried.bin', uploadId, [receipt])).toMatchObject({ code: 'store_error', retryable: true });
    expect(await store.head('retried.bin')).not.toBeNull();
    expect((await temporaries()).length).toBeGreaterThan(0);
    server.setFaults({});
    server.resetStats();
    expect(await store.complete('retried.bin', uploadId, [receipt])).toBeNull();
    expect(server.stats().requests['objects.compose'] ?? 0).toBe(0); // assembled once, not again
    expect(await temporaries()).toEqual([]);
    const object = await store.get('retried.bin');
    expect(object === null ? null : (await readAll(object.body)).toString()).toBe('assembled once');
  });

  it('a complete that could not record its completion deletes no part, so its retry assembles again', async () => {
    const store = backend();
    const uploadId = await store.initiate('unrecorded.bin');
    const parts = [1, 2, 3].map((partNo) => Buffer.alloc(1024, partNo));
    const receipts = [];
    for (const [index, bytes] of parts.entries()) receipts.push(await store.uploadPart('unrecorded.bin', uploadId, index + 1, bytes, bytes.length));
    // complete's requests: 1 read the manifest, 2 compose, 3 record the completion on it (fails), then
    // the cleanup: 4 list, 5–7 delete the parts, 8 delete the manifest (fails). Deleting the parts of a
    // completion nobody recorded left the retry nothing to compose, and the upload failed for good.
    server.setFaults({ failNth: [3, 8] });
    expect(await store.complete('unrecorded.bin', uploadId, receipts)).toMatchObject({ code: 'store_error', retryable: true });
    server.setFaults({});
    expect(await store.complete('unrecorded.bin', uploadId, receipts)).toBeNull();
    const object = await store.get('unrecorded.bin');
    expect(object === null ? null : await readAll(object.body)).toEqual(Buffer.concat(parts));
    expect(await temporaries()).toEqual([]);
  });

  it('an aborted part upload stops reaching the store at once', async () => {
    const store = backend();
    const uploadId = await store.initiate('paused.bin');
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(64 * 1024, 1)); // some bytes move, then the source stalls
    const uploading = store.uploadPart('paused.bin', uploadId, 1, source, 1024 * 1024, controller.signal);
    await until(() => server.stats().inFlightUploads === 1);
    controller.abort();
    await expect(uploading).rejects.toMatchObject({ code: 'paused', retryable: true });
    await until(() => server.stats().inFlightUploads === 0);
    expect(await store.listParts('paused.bin', uploadId)).toEqual([]);
    await store.abort('paused.bin', uploadId);
  });

  it('keys under the reserved prefix are refused, and listings never show temporaries', async () => {
    const store = backend();
    await expect(store.put('.tierdrop/uploads/x', Buffer.from('x'), { contentLength: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    const uploadId = await store.initiate('listed-root.bin');
    await store.uploadPart('listed-root.bin', uploadId, 1, Buffer.from('p'), 1);
    expect((await collect(store.list(''))).map((meta) => meta.key).filter((key) => key.startsWith('.tierdrop'))).toEqual([]);
    await store.abort('listed-root.bin', uploadId);
    expect(await temporaries()).toEqual([]);
  });

  it('parts that outlive their manifest are still listed as an upload, so sweeping removes them', async () => {
    const store = backend();
    const uploadId = await store.initiate('orphaned/parts.bin');
    await store.uploadPart('orphaned/parts.bin', uploadId, 2, Buffer.from('late part'), 9);
    // The manifest goes (an abort that raced a part in flight, a crash mid-cleanup); the part stays.
    const manifest = encodeURIComponent(`.tierdrop/uploads/${uploadId}`);
    expect((await fetch(`${server.endpoint}/storage/v1/b/${BUCKET}/o/${manifest}`, { method: 'DELETE' })).status).toBe(204);
    const listed = await collect(store.listUploads('orphaned/'));
    expect(listed.map((upload) => [upload.key, upload.uploadId])).toEqual([['orphaned/parts.bin', uploadId]]);
    await store.abort('orphaned/parts.bin', uploadId);
    expect(await temporaries()).toEqual([]);
  });

  it('an upload whose cleanup after compose fails is retried until no temporary object is left', async () => {
    const { openTestService } = await import('../support/service.js');
    const { writeRandomFile, sha256OfFile, sha256OfStream, tempDir } = await import('../support/files.js');
    const { openDestination } = await import('../../core/tiered/index.js');
    const files = tempDir('gcs-cleanup');
    const opened = openTestService({ maxAttempts: 12, partSizeBytes: 5 * 1024 * 1024 });
    cleanups.push(async () => {
      await opened.cleanup();
      files.cleanup();
    });
    const source = join(files.path, 'cleanup.bin');
    writeRandomFile(source, 16 * 1024 * 1024);
    server.setFaults({ errorRate: { 'objects.delete': 0.5 } });
    const destination = `gs://${BUCKET}/cleanup?endpoint=${encodeURIComponent(server.endpoint)}`; // tiered, as the soak found it
    const { ids } = await opened.service.engine.addFiles([source], destination);
    await opened.service.engine.whenIdle();
    server.setFaults({});
    expect(opened.service.journal.getUpload(ids[0] ?? '')?.state).toBe('done');
    expect(await temporaries()).toEqual([]);
    const view = openDestination(destination, { changes: opened.service.journal.changes });
    cleanups.push(() => view.backend.dispose());
    const stored = await view.backend.get('cleanup/cleanup.bin');
    expect(stored === null ? null : await sha256OfStream(stored.body)).toBe(await sha256OfFile(source));
  });

  it('cancelling an upload through the engine leaves no temporary part object', async () => {
    const { openTestService, waitFor } = await import('../support/service.js');
    const { writeRandomFile, tempDir } = await import('../support/files.js');
    const files = tempDir('gcs-cancel');
    const opened = openTestService({ partSizeBytes: 8 * 1024 * 1024 });
    cleanups.push(async () => {
      await opened.cleanup();
      files.cleanup();
    });
    const source = join(files.path, 'cancel.bin');
    writeRandomFile(source, 64 * 1024 * 1024);
    server.resetStats();
    server.setFaults({ throttleBytesPerSec: 32 * 1024 * 1024 });
    const destination = `gs://${BUCKET}/cancel?endpoint=${encodeURIComponent(server.endpoint)}`;
    const { ids } = await opened.service.engine.addFiles([source], destination);
    await waitFor(() => server.stats().uploadBytesStored >= 8 * 1024 * 1024, 30_000, 'a part stored');
    expect((await temporaries()).length).toBeGreaterThan(0);
    await opened.service.engine.cancel(ids);
    expect(opened.service.journal.getUpload(ids[0] ?? '')?.state).toBe('cancelled');
    await until(() => server.stats().inFlightUploads === 0, 5_000);
    expect(await temporaries()).toEqual([]);
    expect(await collect(backend().list('cancel/'))).toEqual([]);
  });
});

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) found.push(item);
  return found;
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const startedMs = Date.now();
  while (!condition()) {
    if (Date.now() - startedMs > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function failureOf(promise: Promise<unknown>): Promise<TierdropError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isTierdropError(error)) throw new Error(`expected a TierdropError, got ${String(error)}`);
  return error;
}
