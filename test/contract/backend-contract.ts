// The one behaviour every StoreBackend must show, run against each implementation and test server.
// Tests have stable names so a store that lacks a feature skips exactly those tests, visibly.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreBackend } from '../../core/backends/index.js';
import { isTierdropError, TierdropError } from '../../core/errors/index.js';
import type { ErrorCode } from '../../core/contract/index.js';

export interface ContractSetup {
  backend: StoreBackend;
  /** The smallest size the store accepts for a part that is not the last. */
  minPartBytes: number;
  /** Disposes the backend and stops whatever setup started. */
  cleanup: () => Promise<void>;
}

export interface ContractOptions {
  /** Names of tests this store cannot pass (a missing feature), skipped by name. */
  skip?: string[];
}

const MiB = 1024 * 1024;
const PAGE_OBJECTS = 1003; // S3 pages listings by 1000
const PUT_CONCURRENCY = 24; // enough to fill a page quickly without exhausting sockets
const BIG_OBJECT_BYTES = 64 * MiB;
const BIG_CHUNK_BYTES = 256 * 1024; // the source, like a file stream, holds one or two chunks at most
const MAX_MEMORY_GROWTH_BYTES = 16 * MiB; // well under the object: nothing may hold it whole
const MEMORY_SAMPLE_MS = 25; // the shortest gap between samples
const MEMORY_SAMPLE_GC_FACTOR = 4; // a sample's full GC takes at most a fifth of the time

export function describeBackendContract(name: string, setup: () => Promise<ContractSetup>, options: ContractOptions = {}): void {
  const skip = new Set(options.skip ?? []);
  const registered = new Set<string>();
  let context: ContractSetup | undefined;
  const run = randomUUID().slice(0, 8);

  function store(): ContractSetup {
    if (context === undefined) throw new Error(`setup of ${name} did not finish`);
    return context;
  }

  /** A key no other test (or earlier run against the same store) uses. */
  function keyFor(test: string, leaf: string): string {
    return `contract-${run}/${test.replace(/[^a-z0-9]+/gi, '-')}/${leaf}`;
  }

  function test(title: string, body: (s: ContractSetup, key: (leaf: string) => string) => Promise<void>): void {
    registered.add(title);
    if (skip.has(title)) {
      it.skip(title, () => undefined);
      return;
    }
    it(title, () => body(store(), (leaf) => keyFor(title, leaf)));
  }

  describe(`backend contract: ${name}`, () => {
    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.cleanup();
    });

    // -------------------------------------------------------------------------------- objects

    test('put/get round trip', async ({ backend }, key) => {
      const k = key('hello.txt');
      const { etag } = await backend.put(k, Buffer.from('hello, store'), {
        contentLength: 12,
        contentType: 'text/plain',
        metadata: { origin: 'contract' },
      });
      const object = await backend.get(k);
      expect(object).not.toBeNull();
      if (object === null) return;
      expect((await readAll(object.body)).toString()).toBe('hello, store');
      expect(object.meta).toMatchObject({ key: k, sizeBytes: 12, etag, contentType: 'text/plain', metadata: { origin: 'contract' } });
    });

    test('put from a stream', async ({ backend }, key) => {
      const k = key('streamed.bin');
      const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(2000, 2), Buffer.alloc(5, 3)];
      await backend.put(k, Readable.from(chunks), { contentLength: 3005 });
      const object = await backend.get(k);
      expect(object === null ? null : await readAll(object.body)).toEqual(Buffer.concat(chunks));
    });

    test('head reports size, type and metadata', async ({ backend }, key) => {
      const k = key('described.json');
      const { etag } = await backend.put(k, Buffer.from('{}'), { contentLength: 2, contentType: 'application/json', metadata: { revision: '7' } });
      const meta = await backend.head(k);
      expect(meta).toMatchObject({ key: k, sizeBytes: 2, etag, contentType: 'application/json', metadata: { revision: '7' } });
      expect(meta?.lastModifiedMs).toBeGreaterThan(Date.now() - 24 * 60 * 60 * 1000);
    });

    test('head of missing key is null', async ({ backend }, key) => {
      expect(await backend.head(key('absent'))).toBeNull();
    });

    test('get of missing key is null', async ({ backend }, key) => {
      expect(await backend.get(key('absent'))).toBeNull();
    });

    test('overwrite changes the etag', async ({ backend }, key) => {
      const k = key('twice');
      const first = await backend.put(k, Buffer.from('first!'), { contentLength: 6 });
      const second = await backend.put(k, Buffer.from('second'), { contentLength: 6 });
      expect(second.etag).not.toBe(first.etag);
      const object = await backend.get(k);
      expect(object === null ? null : (await readAll(object.body)).toString()).toBe('second');
    });

    test('delete removes the object', async ({ backend }, key) => {
      const k = key('deep/folder/doomed');
      await backend.put(k, Buffer.from('x'), { contentLength: 1 });
      await backend.delete(k);
      expect(await backend.head(k)).toBeNull();
      expect(await collect(backend.list(key('')))).toEqual([]);
    });

    test('delete missing key is fine', async ({ backend }, key) => {
      await expect(backend.delete(key('never-was'))).resolves.toBeUndefined();
    });

    test('keys with spaces and unicode round trip', async ({ backend }, key) => {
      const keys = [key('folder with space/naïve ü €.txt'), key('日本/ファイル.bin'), key('plus+and%percent&amp=x')];
      for (const k of keys) await backend.put(k, Buffer.from(k), { contentLength: Buffer.byteLength(k) });
      for (const k of keys) {
        const object = await backend.get(k);
        expect(object === null ? null : (await readAll(object.body)).toString()).toBe(k);
      }
      expect((await collect(backend.list(key('')))).map((meta) => meta.key)).toEqual(sortByBytes(keys));
    });

    test('invalid keys are refused', async ({ backend }, key) => {
      const base = key('');
      const invalid = ['', '/absolute', `${base}a//b`, `${base}a/../b`, `${base}a/./b`, `${base}trailing/`, `${base}nul\0byte`];
      for (const k of invalid) {
        await expectCode(backend.put(k, Buffer.from('x'), { contentLength: 1 }), 'invalid_input');
      }
    });

    // -------------------------------------------------------------------------------- listing

    test('list by prefix in order', async ({ backend }, key) => {
      const keys = ['c', 'a', 'b/one', 'ab', 'b/two'].map((leaf) => key(`in/${leaf}`));
      await backend.put(key('out/a'), Buffer.from('x'), { contentLength: 1 });
      for (const k of keys) await backend.put(k, Buffer.from(k), { contentLength: Buffer.byteLength(k) });
      const listed = await collect(backend.list(key('in/')));
      expect(listed.map((meta) => meta.key)).toEqual(sortByBytes(keys));
      const partial = await collect(backend.list(key('in/a')));
      expect(partial.map((meta) => meta.key)).toEqual([key('in/a'), key('in/ab')]);
      for (const meta of listed) {
        const head = await backend.head(meta.key);
        expect(meta.sizeBytes).toBe(Buffer.byteLength(meta.key));
        expect(meta.etag).toBe(head?.etag);
      }
    });

    test('list orders nested keys by their bytes', async ({ backend }, key) => {
      // Folders do not sort as a unit: 'a-c' < 'a/b' < 'a.b' because '-' < '/' < '.'.
      const keys = ['a-c', 'a/b', 'a.b', 'a0', 'b', 'ab/x/y', 'é', 'Z', 'a/b-c/d'].map((leaf) => key(leaf));
      for (const k of keys) await backend.put(k, Buffer.from('o'), { contentLength: 1 });
      expect((await collect(backend.list(key('')))).map((meta) => meta.key)).toEqual(sortByBytes(keys));
    });

    test('list of a prefix with no objects is empty', async ({ backend }, key) => {
      expect(await collect(backend.list(key('nothing-here/')))).toEqual([]);
    });

    test('list paginates past 1000', async ({ backend }, key) => {
      const keys = Array.from({ length: PAGE_OBJECTS }, (_, index) => key(`item-${String(index).padStart(5, '0')}`));
      await inPool(keys, PUT_CONCURRENCY, (k) => backend.put(k, Buffer.from('p'), { contentLength: 1 }));
      const listed = (await collect(backend.list(key('')))).map((meta) => meta.key);
      expect(listed.length).toBe(PAGE_OBJECTS);
      expect(listed).toEqual(sortByBytes(keys));
    });

    // -------------------------------------------------------------------------------- multipart

    test('multipart round trip', async ({ backend, minPartBytes }, key) => {
      const k = key('big.bin');
      const parts = [pattern(partSize(minPartBytes), 1), pattern(partSize(minPartBytes), 2), pattern(1234, 3)];
      const uploadId = await backend.initiate(k, { contentType: 'application/octet-stream', metadata: { source: 'contract' } });
      const receipts = [];
      for (const [index, bytes] of parts.entries()) receipts.push(await backend.uploadPart(k, uploadId, index + 1, bytes, bytes.length));
      expect(receipts.map((receipt) => receipt.sizeBytes)).toEqual(parts.map((bytes) => bytes.length));
      expect(await backend.complete(k, uploadId, receipts)).toBeNull();
      const object = await backend.get(k);
      expect(object === null ? null : digest(await readAll(object.body))).toBe(digest(Buffer.concat(parts)));
      expect(await backend.head(k)).toMatchObject({ sizeBytes: parts.reduce((sum, bytes) => sum + bytes.length, 0), contentType: 'application/octet-stream' });
    });

    test('parts may be uploaded out of order', async ({ backend, minPartBytes }, key) => {
      const k = key('shuffled.bin');
      const first = pattern(partSize(minPartBytes), 4);
      const second = pattern(100, 5);
      const uploadId = await backend.initiate(k);
      const receipt2 = await backend.uploadPart(k, uploadId, 2, second, second.length);
      const receipt1 = await backend.uploadPart(k, uploadId, 1, first, first.length);
      expect(await backend.complete(k, uploadId, [receipt1, receipt2])).toBeNull();
      const object = await backend.get(k);
      expect(object === null ? null : digest(await readAll(object.body))).toBe(digest(Buffer.concat([first, second])));
    });

    test('uploadPart from a stream', async ({ backend, minPartBytes }, key) => {
      const k = key('streamed-parts.bin');
      const bytes = pattern(partSize(minPartBytes), 6);
      const uploadId = await backend.initiate(k);
      const receipt = await backend.uploadPart(k, uploadId, 1, Readable.from(chunked(bytes, 64 * 1024)), bytes.length);
      expect(await backend.complete(k, uploadId, [receipt])).toBeNull();
      const object = await backend.get(k);
      expect(object === null ? null : digest(await readAll(object.body))).toBe(digest(bytes));
    });

    test('re-uploading a part replaces it', async ({ backend }, key) => {
      const k = key('replaced.bin');
      const uploadId = await backend.initiate(k);
      const before = await backend.uploadPart(k, uploadId, 1, Buffer.from('first version'), 13);
      const after = await backend.uploadPart(k, uploadId, 1, Buffer.from('second version'), 14);
      expect(after.etag).not.toBe(before.etag);
      expect(await backend.complete(k, uploadId, [after])).toBeNull();
      const object = await backend.get(k);
      expect(object === null ? null : (await readAll(object.body)).toString()).toBe('second version');
    });

    test('listParts returns receipts', async ({ backend, minPartBytes }, key) => {
      const k = key('listed.bin');
      const uploadId = await backend.initiate(k);
      const first = pattern(partSize(minPartBytes), 7);
      const receipts = [await backend.uploadPart(k, uploadId, 1, first, first.length), await backend.uploadPart(k, uploadId, 2, Buffer.from('tail'), 4)];
      // A part uploaded again is listed once, with its newest receipt.
      receipts[1] = await backend.uploadPart(k, uploadId, 2, Buffer.from('TAIL'), 4);
      const listed = await backend.listParts(k, uploadId);
      expect(listed.map((part) => ({ partNo: part.partNo, etag: part.etag, sizeBytes: part.sizeBytes }))).toEqual(
        receipts.map((part) => ({ partNo: part.partNo, etag: part.etag, sizeBytes: part.sizeBytes })),
      );
      expect(await backend.complete(k, uploadId, listed)).toBeNull();
    });

    test('listParts of unknown upload is not_found', async ({ backend }, key) => {
      await expectCode(backend.listParts(key('ghost'), randomUUID()), 'not_found');
    });

    test('abort removes the upload', async ({ backend }, key) => {
      const k = key('abandoned.bin');
      const uploadId = await backend.initiate(k);
      const receipt = await backend.uploadPart(k, uploadId, 1, Buffer.from('bytes'), 5);
      await backend.abort(k, uploadId);
      await expectCode(backend.listParts(k, uploadId), 'not_found');
      expect((await collect(backend.listUploads(key('')))).map((upload) => upload.uploadId)).not.toContain(uploadId);
      expect((await backend.complete(k, uploadId, [receipt]))?.code).toBe('not_found');
      expect(await backend.head(k)).toBeNull();
    });

    test('abort of unknown upload is fine', async ({ backend }, key) => {
      await expect(backend.abort(key('ghost'), randomUUID())).resolves.toBeUndefined();
    });

    test('listUploads finds open uploads', async ({ backend }, key) => {
      const startedMs = Date.now();
      const keys = [key('open/one'), key('open/two'), key('other/three')];
      const ids = [];
      for (const k of keys) ids.push(await backend.initiate(k));
      const found = await collect(backend.listUploads(key('open/')));
      expect(found.map((upload) => [upload.key, upload.uploadId])).toEqual([
        [keys[0], ids[0]],
        [keys[1], ids[1]],
      ]);
      for (const upload of found) expect(Math.abs(upload.initiatedMs - startedMs)).toBeLessThan(60 * 60 * 1000);
      for (const [index, k] of keys.entries()) await backend.abort(k, ids[index] ?? '');
      expect(await collect(backend.listUploads(key('')))).toEqual([]);
    });

    test('complete with wrong etag fails', async ({ backend }, key) => {
      const k = key('wrong-etag.bin');
      const uploadId = await backend.initiate(k);
      const receipt = await backend.uploadPart(k, uploadId, 1, Buffer.from('abc'), 3);
      const failure = await backend.complete(k, uploadId, [{ ...receipt, etag: '"0123456789abcdef0123456789abcdef"' }]);
      expect(failure).toMatchObject({ code: 'invalid_input', retryable: false });
      expect(await backend.head(k)).toBeNull();
      await backend.abort(k, uploadId);
    });

    test('complete with parts out of order fails', async ({ backend, minPartBytes }, key) => {
      const k = key('out-of-order.bin');
      const uploadId = await backend.initiate(k);
      const first = pattern(partSize(minPartBytes), 8);
      const receipt1 = await backend.uploadPart(k, uploadId, 1, first, first.length);
      const receipt2 = await backend.uploadPart(k, uploadId, 2, Buffer.from('end'), 3);
      const failure = await backend.complete(k, uploadId, [receipt2, receipt1]);
      expect(failure).toMatchObject({ code: 'invalid_input', retryable: false });
      await backend.abort(k, uploadId);
    });

    test('complete of unknown upload is not_found', async ({ backend }, key) => {
      const failure = await backend.complete(key('ghost'), randomUUID(), [{ partNo: 1, etag: '"abc"', sizeBytes: 1, checksum: null }]);
      expect(failure).toMatchObject({ code: 'not_found', retryable: false });
    });

    test('uploadPart honours the abort signal', async ({ backend }, key) => {
      const k = key('paused.bin');
      const uploadId = await backend.initiate(k);
      const controller = new AbortController();
      const stalled = new Readable({ read() {} });
      stalled.push(Buffer.alloc(64 * 1024, 9)); // some bytes move, then the source stalls
      setTimeout(() => controller.abort(), 200);
      const startedMs = Date.now();
      await expectCode(backend.uploadPart(k, uploadId, 1, stalled, 1024 * 1024, controller.signal), 'paused');
      expect(Date.now() - startedMs).toBeLessThan(5_000);
      await backend.abort(k, uploadId);
    });

    test('uploadPart whose signal fired before the body was read reports the pause and nothing else', async ({ backend }, key) => {
      const k = key('paused-early.bin');
      const uploadId = await backend.initiate(k);
      const controller = new AbortController();
      controller.abort(); // as a shutdown does while the part waits for its turn
      const unread = new Readable({ read() {} });
      unread.push(Buffer.alloc(64 * 1024, 7));
      // An 'error' the body emits with no reader yet would end the process (vitest reports it too).
      await expectCode(backend.uploadPart(k, uploadId, 1, unread, 1024 * 1024, controller.signal), 'paused');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await backend.abort(k, uploadId);
    });

    test('an abort with a reason reports that reason', async ({ backend }, key) => {
      const k = key('stalled.bin');
      const uploadId = await backend.initiate(k);
      const controller = new AbortController();
      const stalled = new Readable({ read() {} });
      stalled.push(Buffer.alloc(1024, 1));
      setTimeout(() => controller.abort(new TierdropError('stalled', 'no bytes moved for 30 s', { retryable: true })), 100);
      await expectCode(backend.uploadPart(k, uploadId, 1, stalled, 1024 * 1024, controller.signal), 'stalled');
      await backend.abort(k, uploadId);
    });

    // -------------------------------------------------------------------------------- compare-and-write

    test('compareAndWrite create-only', async ({ backend }, key) => {
      const k = key('cas-create');
      expect(await backend.compareAndWrite(k, null, Buffer.from('one'))).toBe('written');
      expect(await backend.compareAndWrite(k, null, Buffer.from('two'))).toBe('conflict');
      const object = await backend.get(k);
      expect(object === null ? null : (await readAll(object.body)).toString()).toBe('one');
    });

    test('compareAndWrite if-match', async ({ backend }, key) => {
      const k = key('cas-match');
      const { etag } = await backend.put(k, Buffer.from('v1'), { contentLength: 2 });
      expect(await backend.compareAndWrite(k, etag, Buffer.from('v2'))).toBe('written');
      expect(await backend.compareAndWrite(k, etag, Buffer.from('v3'))).toBe('conflict');
      const current = await backend.head(k);
      expect(current?.etag).not.toBe(etag);
      expect(await backend.compareAndWrite(k, current?.etag ?? '', Buffer.from('v4'))).toBe('written');
      const object = await backend.get(k);
      expect(object === null ? null : (await readAll(object.body)).toString()).toBe('v4');
    });

    test('compareAndWrite on a missing key with an etag conflicts', async ({ backend }, key) => {
      const k = key('cas-gone');
      const { etag } = await backend.put(k, Buffer.from('here'), { contentLength: 4 });
      await backend.delete(k);
      expect(await backend.compareAndWrite(k, etag, Buffer.from('again'))).toBe('conflict');
      expect(await backend.head(k)).toBeNull();
    });

    test('compareAndWrite idempotent retry', async ({ backend }, key) => {
      const k = key('cas-retry');
      expect(await backend.compareAndWrite(k, null, Buffer.from('same'))).toBe('written');
      expect(await backend.compareAndWrite(k, null, Buffer.from('same'))).toBe('written');
      const first = await backend.head(k);
      expect(await backend.compareAndWrite(k, first?.etag ?? '', Buffer.from('next'))).toBe('written');
      // The answer to the first attempt was lost; the retry must not report a conflict.
      expect(await backend.compareAndWrite(k, first?.etag ?? '', Buffer.from('next'))).toBe('written');
      expect(await backend.compareAndWrite(k, first?.etag ?? '', Buffer.from('other'))).toBe('conflict');
    });

    test('concurrent compareAndWrite has one winner', async ({ backend }, key) => {
      const k = key('cas-race');
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, index) => backend.compareAndWrite(k, null, Buffer.from(`writer-${index}`))),
      );
      expect(answers.filter((answer) => answer === 'written')).toHaveLength(1);
      const object = await backend.get(k);
      const winner = answers.indexOf('written');
      expect(object === null ? null : (await readAll(object.body)).toString()).toBe(`writer-${winner}`);
    });

    // -------------------------------------------------------------------------------- memory

    test('streams a 64 MiB object without buffering', async ({ backend }, key) => {
      const k = key('sixty-four.bin');
      const expected = createHash('sha256');
      const watch = watchMemory();
      try {
        const source = Readable.from(generated(BIG_OBJECT_BYTES, BIG_CHUNK_BYTES, expected), { objectMode: false, highWaterMark: BIG_CHUNK_BYTES });
        await backend.put(k, source, { contentLength: BIG_OBJECT_BYTES });
        const object = await backend.get(k);
        expect(object?.meta.sizeBytes).toBe(BIG_OBJECT_BYTES);
        if (object === null) return;
        const actual = createHash('sha256');
        let received = 0;
        for await (const chunk of object.body) {
          if (!Buffer.isBuffer(chunk)) continue;
          actual.update(chunk);
          received += chunk.length;
        }
        expect(received).toBe(BIG_OBJECT_BYTES);
        expect(actual.digest('hex')).toBe(expected.digest('hex'));
      } finally {
        const growth = watch.stop();
        expect(growth, `live memory grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(MAX_MEMORY_GROWTH_BYTES);
      }
      await backend.delete(k);
    });

    it('skip list names only real tests', () => {
      expect([...skip].filter((title) => !registered.has(title))).toEqual([]);
    });
  });
}

// ------------------------------------------------------------------------------------ helpers

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

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error, `expected a TierdropError ${code}`).not.toBeNull();
  expect(isTierdropError(error) ? error.code : error).toBe(code);
}

function sortByBytes(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function partSize(minPartBytes: number): number {
  return Math.max(minPartBytes, 1024);
}

function pattern(sizeBytes: number, seed: number): Buffer {
  const bytes = Buffer.alloc(sizeBytes);
  for (let index = 0; index < sizeBytes; index += 1) bytes[index] = (index * 31 + seed * 17) & 0xff;
  return bytes;
}

function* chunked(bytes: Buffer, chunkBytes: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Yields `totalBytes` of pseudo-random-looking bytes, a fresh chunk at a time, hashing them. */
function* generated(totalBytes: number, chunkBytes: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  for (let offset = 0, index = 0; offset < totalBytes; offset += chunkBytes, index += 1) {
    const chunk = Buffer.alloc(Math.min(chunkBytes, totalBytes - offset), index & 0xff);
    chunk.writeUInt32BE(index, 0);
    hash.update(chunk);
    yield chunk;
  }
}

async function inPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Samples live heap plus Buffer memory while a test runs and returns the peak growth in bytes.
 * Each sample collects garbage first, so chunks already passed along do not count as held; samples
 * are spaced by a multiple of the time a collection takes, so they never starve the transfer.
 */
function watchMemory(): { stop: () => number } {
  let gcMs = 0;
  const used = () => {
    const startedMs = Date.now();
    // The second collection finishes freeing the Buffers the first one found dead.
    collectGarbage();
    collectGarbage();
    gcMs = Date.now() - startedMs;
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const baseline = used();
  let peak = baseline;
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    peak = Math.max(peak, used());
    timer = setTimeout(sample, Math.max(MEMORY_SAMPLE_MS, gcMs * MEMORY_SAMPLE_GC_FACTOR));
  };
  timer = setTimeout(sample, MEMORY_SAMPLE_MS);
  return {
    stop: () => {
      clearTimeout(timer);
      peak = Math.max(peak, used());
      return peak - baseline;
    },
  };
}

/** V8's gc(), reachable without starting the worker with --expose-gc. */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  return typeof gc === 'function' ? () => void gc() : () => undefined;
})();
