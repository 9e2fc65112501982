// FsBackend against the backend contract, plus what only a local folder can show: plain files a
// person can see, crash-safe writes, state kept out of sight, and errors a person can act on.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FsBackend } from '../../core/backends/index.js';
import { isTierdropError } from '../../core/errors/index.js';
import { describeBackendContract } from '../contract/backend-contract.js';

describeBackendContract('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tierdrop-fs-contract-'));
  const backend = new FsBackend({ root });
  return {
    backend,
    minPartBytes: 1,
    cleanup: async () => {
      await backend.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsBackend in a local folder', () => {
  const roots: string[] = [];
  afterEach(async () => {
    for (const root of roots.splice(0)) {
      await chmod(root, 0o755).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    }
  });
  async function freshRoot(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'tierdrop-fs-'));
    roots.push(root);
    return root;
  }

  it('stores objects as plain files a person can open', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root });
    await backend.put('photos/2024/cat.txt', Buffer.from('meow'), { contentLength: 4 });
    expect(await readFile(join(root, 'photos', '2024', 'cat.txt'), 'utf8')).toBe('meow');
    expect((await readdir(root)).sort()).toEqual(['.tierdrop', 'photos']);
    expect(await readdir(join(root, '.tierdrop', 'tmp'))).toEqual([]);
  });

  it('creates a missing destination folder on first write', async () => {
    const root = join(await freshRoot(), 'not', 'yet');
    const backend = new FsBackend({ root });
    expect(await backend.head('a')).toBeNull();
    await backend.put('a', Buffer.from('x'), { contentLength: 1 });
    expect((await stat(join(root, 'a'))).size).toBe(1);
  });

  it('refuses keys under .tierdrop, in any case', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    for (const key of ['.tierdrop/uploads/x', '.TierDrop/locks/y']) {
      await expect(backend.put(key, Buffer.from('x'), { contentLength: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    }
  });

  it('never lists its own state', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    await backend.initiate('pending.bin');
    await backend.compareAndWrite('cas', null, Buffer.from('v'));
    await backend.put('meta', Buffer.from('m'), { contentLength: 1, metadata: { a: 'b' } });
    const keys = [];
    for await (const meta of backend.list('')) keys.push(meta.key);
    expect(keys).toEqual(['cas', 'meta']);
  });

  it('deletes now-empty folders up to the root, and only those', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root });
    await backend.put('a/b/c/one', Buffer.from('1'), { contentLength: 1 });
    await backend.put('a/two', Buffer.from('2'), { contentLength: 1 });
    await backend.delete('a/b/c/one');
    expect(await readdir(join(root, 'a'))).toEqual(['two']);
    await backend.delete('a/two');
    expect((await readdir(root)).filter((name) => name !== '.tierdrop')).toEqual([]);
  });

  it('a file in the way of a folder is a conflict', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    await backend.put('report', Buffer.from('file'), { contentLength: 4 });
    const error = await backend.put('report/inner', Buffer.from('x'), { contentLength: 1 }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'conflict', retryable: false });
    expect(isTierdropError(error) ? error.message : '').toContain('report/inner');
  });

  it('a folder in the way of a file is a conflict', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    await backend.put('album/photo', Buffer.from('x'), { contentLength: 1 });
    await expect(backend.put('album', Buffer.from('x'), { contentLength: 1 })).rejects.toMatchObject({ code: 'conflict' });
    expect(await backend.head('album')).toBeNull();
    expect(await backend.get('album')).toBeNull();
  });

  it('a body shorter than declared leaves nothing behind', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root });
    await expect(backend.put('short', Readable.from([Buffer.alloc(10)]), { contentLength: 20 })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await backend.head('short')).toBeNull();
    expect(await readdir(join(root, '.tierdrop', 'tmp'))).toEqual([]);
  });

  it('a failed overwrite keeps the old object whole', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    await backend.put('doc', Buffer.from('original'), { contentLength: 8 });
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial new content'));
        this.destroy(new Error('disk unplugged'));
      },
    });
    await expect(backend.put('doc', failing, { contentLength: 100 })).rejects.toThrow();
    const object = await backend.get('doc');
    const chunks: Buffer[] = [];
    for await (const chunk of object?.body ?? []) if (Buffer.isBuffer(chunk)) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('original');
  });

  it('part receipts carry the MD5 of the part', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    const uploadId = await backend.initiate('x');
    const receipt = await backend.uploadPart('x', uploadId, 1, Buffer.from('hello'), 5);
    expect(receipt).toEqual({ partNo: 1, etag: '5d41402abc4b2a76b9719d911017c592', sizeBytes: 5, checksum: null });
  });

  it('an upload id that is not ours is simply unknown', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    await expect(backend.listParts('x', '../../etc')).rejects.toMatchObject({ code: 'not_found' });
    await expect(backend.abort('x', '../../etc')).resolves.toBeUndefined();
  });

  it('an upload of another key is not found', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    const uploadId = await backend.initiate('mine');
    await expect(backend.uploadPart('theirs', uploadId, 1, Buffer.from('x'), 1)).rejects.toMatchObject({ code: 'not_found' });
    await backend.abort('theirs', uploadId);
    expect((await backend.listParts('mine', uploadId)).length).toBe(0);
  });

  it('part numbers outside 1..10000 are refused', async () => {
    const backend = new FsBackend({ root: await freshRoot() });
    const uploadId = await backend.initiate('x');
    for (const partNo of [0, 10_001, 1.5]) {
      await expect(backend.uploadPart('x', uploadId, partNo, Buffer.from('x'), 1)).rejects.toMatchObject({ code: 'invalid_input' });
    }
  });

  it('metadata of a file replaced behind its back is not shown', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root });
    await backend.put('note', Buffer.from('a'), { contentLength: 1, contentType: 'text/plain', metadata: { k: 'v' } });
    await writeFile(join(root, 'note'), 'edited by hand');
    expect(await backend.head('note')).toMatchObject({ sizeBytes: 14, metadata: {} });
    expect((await backend.head('note'))?.contentType).toBeUndefined();
  });

  it('takes over a lock left by a dead process', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root, lockTiming: { staleAfterMs: 60_000, waitMs: 2_000 } });
    await backend.compareAndWrite('seed', null, Buffer.from('s'));
    const locks = join(root, '.tierdrop', 'locks');
    const lockName = lockFileName('cas');
    // A pid far above any pid_max is never alive.
    await writeFile(join(locks, lockName), JSON.stringify({ pid: 2 ** 30, host: hostname(), acquiredMs: Date.now(), nonce: 'dead' }));
    expect(await backend.compareAndWrite('cas', null, Buffer.from('v'))).toBe('written');
    expect(await readdir(locks)).toEqual([]);
  });

  it('waits for a live lock, then fails retryably', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root, lockTiming: { staleAfterMs: 60_000, waitMs: 300 } });
    await backend.compareAndWrite('seed', null, Buffer.from('s'));
    const lockPath = join(root, '.tierdrop', 'locks', lockFileName('busy'));
    await writeFile(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), acquiredMs: Date.now(), nonce: 'live' }));
    await expect(backend.compareAndWrite('busy', null, Buffer.from('v'))).rejects.toMatchObject({ code: 'store_error', retryable: true });
  });

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('a read-only folder is access_denied with a hint', async () => {
    const root = await freshRoot();
    const backend = new FsBackend({ root });
    await backend.put('first', Buffer.from('x'), { contentLength: 1 });
    await chmod(root, 0o555);
    const error = await backend.put('second/file', Buffer.from('x'), { contentLength: 1 }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'access_denied', retryable: false });
    expect(isTierdropError(error) ? error.hint : '').toContain(root);
  });

  it('sweeps temp files left by a crash long ago', async () => {
    const root = await freshRoot();
    await mkdir(join(root, '.tierdrop', 'tmp'), { recursive: true });
    const old = join(root, '.tierdrop', 'tmp', 'left-by-crash.tmp');
    await writeFile(old, 'junk');
    const twoDaysAgo = (Date.now() - 2 * 24 * 60 * 60 * 1000) / 1000;
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await new FsBackend({ root }).put('x', Buffer.from('x'), { contentLength: 1 });
    expect(await readdir(join(root, '.tierdrop', 'tmp'))).toEqual([]);
  });
});

/** Where FsBackend keeps the compare-and-write lock of `key` (a hash, so any key fits a file name). */
function lockFileName(key: string): string {
  return `${createHash('sha256').update(key).digest('hex')}.lock`;
}
