// S3Backend against our S3 protocol test server: the full backend contract with CRC32 checksums and
// no skips, then what only S3 shows: errors hidden in 200 answers, injected faults, bad credentials,
// a missing bucket, minimum part sizes, and stores without abort.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3Backend, type S3BackendOptions } from '../../core/backends/index.js';
import { isTierdropError, type TierdropError } from '../../core/errors/index.js';
import { describeBackendContract } from '../contract/backend-contract.js';
import { DEFAULT_CREDENTIALS, startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';

const BUCKET = 'contract';
const MIN_PART_BYTES = 256 * 1024; // lowered from S3's 5 MiB so multipart tests stay quick

describeBackendContract('s3 test server (crc32)', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tierdrop-s3-contract-'));
  const server = await startS3TestServer({ dataDir, port: 0, buckets: [BUCKET], minPartBytes: MIN_PART_BYTES });
  const backend = new S3Backend({ bucket: BUCKET, endpoint: server.endpoint, region: 'us-east-1', credentials: DEFAULT_CREDENTIALS, checksum: 'crc32' });
  return {
    backend,
    minPartBytes: MIN_PART_BYTES,
    cleanup: async () => {
      await backend.dispose();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('S3Backend against the S3 test server', () => {
  let dataDir: string;
  let server: S3TestServer;
  const backends: S3Backend[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tierdrop-s3-'));
    server = await startS3TestServer({ dataDir, port: 0, buckets: [BUCKET], minPartBytes: MIN_PART_BYTES });
  });
  afterEach(async () => {
    server.setFaults({});
    for (const backend of backends.splice(0)) await backend.dispose();
  });
  afterAll(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function backend(overrides: Partial<S3BackendOptions> = {}): S3Backend {
    const opened = new S3Backend({
      bucket: BUCKET,
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: DEFAULT_CREDENTIALS,
      checksum: 'crc32',
      ...overrides,
    });
    backends.push(opened);
    return opened;
  }

  it('reports an error the store hid in a 200 answer to complete', async () => {
    const store = backend();
    const uploadId = await store.initiate('hidden-error.bin');
    const receipt = await store.uploadPart('hidden-error.bin', uploadId, 1, Buffer.from('only part'), 9);
    server.setFaults({ completeErrorRate: 1 });
    const failure = await store.complete('hidden-error.bin', uploadId, [receipt]);
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure?.message).toContain('complete the upload of "hidden-error.bin"');
    server.setFaults({});
    await store.abort('hidden-error.bin', uploadId);
  });

  it('maps injected 500s to a retryable store_error naming the key', async () => {
    const store = backend();
    server.setFaults({ errorRate: { PutObject: 1 } });
    const failure = await failureOf(store.put('faulty/a.txt', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure.message).toContain('Cannot upload "faulty/a.txt"');
    server.setFaults({});
    await expect(store.put('faulty/a.txt', Buffer.from('x'), { contentLength: 1 })).resolves.toMatchObject({ etag: expect.any(String) });
  });

  it('a wrong access key is invalid_credentials', async () => {
    const store = backend({ credentials: { accessKeyId: 'nobody', secretAccessKey: 'tierdrop-test-secret' } });
    const failure = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'invalid_credentials', retryable: false });
    expect(failure.hint).toContain('AWS_ACCESS_KEY_ID');
  });

  it('a wrong secret is invalid_credentials', async () => {
    const store = backend({ credentials: { accessKeyId: DEFAULT_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } });
    expect(await failureOf(store.get('a'))).toMatchObject({ code: 'invalid_credentials' });
  });

  it('a missing bucket is not_found, saying which and where', async () => {
    const store = backend({ bucket: 'no-such-bucket' });
    const failure = await failureOf(store.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure.code).toBe('not_found');
    expect(failure.message).toContain(`bucket no-such-bucket does not exist at ${server.endpoint}`);
    expect(failure.hint).toContain('Create the bucket');
  });

  it('a closed endpoint is unreachable at once', async () => {
    const closedDir = await mkdtemp(join(tmpdir(), 'tierdrop-s3-closed-'));
    const closed = await startS3TestServer({ dataDir: closedDir, port: 0, buckets: [BUCKET] });
    await closed.close();
    await rm(closedDir, { recursive: true, force: true });
    const startedMs = Date.now();
    const failure = await failureOf(backend({ endpoint: closed.endpoint }).head('a'));
    expect(failure).toMatchObject({ code: 'unreachable', retryable: true });
    expect(failure.message).toContain(closed.endpoint);
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });

  it('part receipts carry the CRC32 the store computed', async () => {
    const store = backend();
    const bytes = Buffer.from('checksummed part');
    const uploadId = await store.initiate('crc.bin');
    const receipt = await store.uploadPart('crc.bin', uploadId, 1, bytes, bytes.length);
    const expected = Buffer.alloc(4);
    expected.writeUInt32BE(crc32(bytes));
    expect(receipt.checksum).toBe(expected.toString('base64'));
    expect(await store.complete('crc.bin', uploadId, [receipt])).toBeNull();
  });

  it('works with checksums off too', async () => {
    const store = backend({ checksum: 'none' });
    const uploadId = await store.initiate('plain.bin');
    const receipt = await store.uploadPart('plain.bin', uploadId, 1, Buffer.from('plain'), 5);
    expect(receipt.checksum).toBeNull();
    expect(await store.complete('plain.bin', uploadId, [receipt])).toBeNull();
  });

  it('a small part that is not the last is refused on complete, not retryable', async () => {
    const store = backend();
    const uploadId = await store.initiate('too-small.bin');
    const receipts = [
      await store.uploadPart('too-small.bin', uploadId, 1, Buffer.from('tiny'), 4),
      await store.uploadPart('too-small.bin', uploadId, 2, Buffer.from('end'), 3),
    ];
    expect(await store.complete('too-small.bin', uploadId, receipts)).toMatchObject({ code: 'invalid_input', retryable: false });
    await store.abort('too-small.bin', uploadId);
  });

  it('an aborted part upload stops reaching the store at once', async () => {
    const store = backend();
    const uploadId = await store.initiate('paused.bin');
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(64 * 1024, 1)); // some bytes move, then the source stalls
    const uploading = store.uploadPart('paused.bin', uploadId, 1, source, MIN_PART_BYTES, controller.signal);
    await until(() => server.stats().inFlightParts === 1);
    controller.abort();
    await expect(uploading).rejects.toMatchObject({ code: 'paused', retryable: true });
    await until(() => server.stats().inFlightParts === 0);
    await store.abort('paused.bin', uploadId);
  });

  it('a store without abort is tolerated', async () => {
    const store = backend();
    const uploadId = await store.initiate('kept.bin');
    server.setFaults({ unsupported: ['AbortMultipartUpload'] });
    await expect(store.abort('kept.bin', uploadId)).resolves.toBeUndefined();
    server.setFaults({});
    await store.abort('kept.bin', uploadId);
  });
});

async function until(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
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
