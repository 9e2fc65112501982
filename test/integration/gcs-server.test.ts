// The GCS test server speaks the JSON API as Google documents it: checked with the official client
// (@google-cloud/storage: simple and resumable uploads, downloads, listing, compose, preconditions)
// and with raw requests where the wire matters (resumable sessions, ranges, error bodies, faults).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRC32C, Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64, crc32cOf, startGcsTestServer, type GcsTestServer } from '../support/gcs-server/index.js';

const BUCKET = 'protocol';
const QUANTUM = 256 * 1024; // resumable chunks other than the last are multiples of this

let dataDir: string;
let server: GcsTestServer;
let storage: Storage;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tierdrop-gcs-server-'));
  server = await startGcsTestServer({ dataDir, buckets: [BUCKET] });
  storage = new Storage({ apiEndpoint: server.endpoint, projectId: 'tierdrop-test', retryOptions: { autoRetry: false } });
});
afterEach(() => server.setFaults({}));
afterAll(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

const api = (path: string): string => `${server.endpoint}/storage/v1/b/${BUCKET}${path}`;
const upload = (query: string): string => `${server.endpoint}/upload/storage/v1/b/${BUCKET}/o?${query}`;
const objectPath = (name: string): string => `/o/${encodeURIComponent(name)}`;

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('with @google-cloud/storage', () => {
  it('saves (simple and resumable), reads metadata, downloads, and checks CRC32C and MD5', async () => {
    const bucket = storage.bucket(BUCKET);
    const small = Buffer.from('hello from the official client');
    await bucket.file('lib/simple.txt').save(small, { resumable: false, contentType: 'text/plain', metadata: { metadata: { origin: 'lib' } } });
    const big = randomBytes(3 * QUANTUM + 123);
    await bucket.file('lib/resumable.bin').save(big, { resumable: true, chunkSize: QUANTUM, validation: 'crc32c' });
    const [metadata] = await bucket.file('lib/simple.txt').getMetadata();
    expect(metadata).toMatchObject({ name: 'lib/simple.txt', size: String(small.length), contentType: 'text/plain', metadata: { origin: 'lib' } });
    expect(metadata.md5Hash).toBe(createHash('md5').update(small).digest('base64'));
    const reference = new CRC32C();
    reference.update(big);
    const [bigMetadata] = await bucket.file('lib/resumable.bin').getMetadata();
    expect(bigMetadata.crc32c).toBe(reference.toString());
    const [downloaded] = await bucket.file('lib/resumable.bin').download({ validation: 'crc32c' });
    expect(downloaded.equals(big)).toBe(true);
  });

  it('lists with prefix, delimiter and pages', async () => {
    const bucket = storage.bucket(BUCKET);
    for (const name of ['tree/a', 'tree/b/1', 'tree/b/2', 'tree/c', 'tree/d/1']) await bucket.file(name).save(Buffer.from(name), { resumable: false });
    const [files] = await bucket.getFiles({ prefix: 'tree/' });
    expect(files.map((file) => file.name)).toEqual(['tree/a', 'tree/b/1', 'tree/b/2', 'tree/c', 'tree/d/1']);
    const [, , response] = await bucket.getFiles({ prefix: 'tree/', delimiter: '/', autoPaginate: false });
    expect(response).toMatchObject({ prefixes: ['tree/b/', 'tree/d/'] });
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const [page, next] = await bucket.getFiles({ prefix: 'tree/', delimiter: '/', autoPaginate: false, maxResults: 1, ...(pageToken === undefined ? {} : { pageToken }) });
      const raw = (await fetch(api(`/o?prefix=tree/&delimiter=/&maxResults=1${pageToken === undefined ? '' : `&pageToken=${pageToken}`}`)).then(json));
      pages.push([...page.map((file) => file.name), ...((raw['prefixes'] as string[] | undefined) ?? [])]);
      pageToken = typeof next === 'object' && next !== null && 'pageToken' in next && typeof next.pageToken === 'string' ? next.pageToken : undefined;
    } while (pageToken !== undefined);
    expect(pages).toEqual([['tree/a'], ['tree/b/'], ['tree/c'], ['tree/d/']]);
  });

  it('composes, and enforces ifGenerationMatch (0: must not exist) with 412', async () => {
    const bucket = storage.bucket(BUCKET);
    await bucket.file('parts/1').save(Buffer.from('one,'), { resumable: false });
    await bucket.file('parts/2').save(Buffer.from('two'), { resumable: false });
    await bucket.combine(['parts/1', 'parts/2'], 'parts/joined');
    const [joined] = await bucket.file('parts/joined').download();
    expect(joined.toString()).toBe('one,two');
    const [meta] = await bucket.file('parts/joined').getMetadata();
    expect(meta.md5Hash).toBeUndefined(); // composites have no MD5
    expect(meta.crc32c).toBe(crc32cBase64(crc32cOf(Buffer.from('one,two'))));
    expect(meta.componentCount).toBe(2);
    const failure = await bucket.file('parts/1').save(Buffer.from('again'), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 412 });
    const [current] = await bucket.file('parts/1').getMetadata();
    await bucket.file('parts/1').save(Buffer.from('replaced'), { resumable: false, preconditionOpts: { ifGenerationMatch: Number(current.generation) } });
    await expect(bucket.file('parts/1').delete({ ifGenerationMatch: Number(current.generation) })).rejects.toMatchObject({ code: 412 });
  });
});

describe('on the wire', () => {
  it('media upload answers the object resource; multipart verifies md5Hash and crc32c', async () => {
    const bytes = Buffer.from('media bytes');
    const resource = await json(await fetch(upload('uploadType=media&name=wire/media.txt'), { method: 'POST', body: bytes, headers: { 'Content-Type': 'text/plain' } }));
    expect(resource).toMatchObject({
      kind: 'storage#object',
      name: 'wire/media.txt',
      bucket: BUCKET,
      size: String(bytes.length),
      contentType: 'text/plain',
      metageneration: '1',
      md5Hash: createHash('md5').update(bytes).digest('base64'),
      crc32c: crc32cBase64(crc32cOf(bytes)),
    });
    expect(String(resource['generation'])).toMatch(/^\d+$/);

    const boundary = 'b0undary';
    const body = (metadata: object) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\n`),
        bytes,
        Buffer.from(`\r\n--${boundary}--`),
      ]);
    const headers = { 'Content-Type': `multipart/related; boundary=${boundary}` };
    const good = await fetch(upload('uploadType=multipart'), { method: 'POST', headers, body: body({ name: 'wire/multi.txt', md5Hash: createHash('md5').update(bytes).digest('base64'), metadata: { a: 'b' } }) });
    expect(await json(good)).toMatchObject({ name: 'wire/multi.txt', size: String(bytes.length), metadata: { a: 'b' }, contentType: 'text/plain' });
    const bad = await fetch(upload('uploadType=multipart'), { method: 'POST', headers, body: body({ name: 'wire/bad.txt', crc32c: 'AAAAAA==' }) });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: { code: 400, errors: [{ domain: 'global', reason: 'invalid' }] } });
    expect((await fetch(api(objectPath('wire/bad.txt')))).status).toBe(404);
    const badHeader = await fetch(upload('uploadType=media&name=wire/bad2.txt'), { method: 'POST', body: bytes, headers: { 'x-goog-hash': `md5=${Buffer.alloc(16).toString('base64')}` } });
    expect(badHeader.status).toBe(400);
  });

  it('answers errors in Google\'s JSON shape, and 412 conditionNotMet for ifGenerationMatch=0 on an existing object', async () => {
    const missing = await fetch(api(objectPath('wire/none')));
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({
      error: { code: 404, message: `No such object: ${BUCKET}/wire/none`, errors: [{ domain: 'global', reason: 'notFound', message: `No such object: ${BUCKET}/wire/none` }] },
    });
    await fetch(upload('uploadType=media&name=wire/once'), { method: 'POST', body: 'x' });
    const again = await fetch(upload('uploadType=media&name=wire/once&ifGenerationMatch=0'), { method: 'POST', body: 'y' });
    expect(again.status).toBe(412);
    expect(await json(again)).toMatchObject({ error: { code: 412, errors: [{ reason: 'conditionNotMet' }] } });
    const noBucket = await fetch(`${server.endpoint}/storage/v1/b/nope-nope/o/x`);
    expect(await json(noBucket)).toMatchObject({ error: { code: 404, message: expect.stringContaining('bucket does not exist') } });
  });

  it('serves ranges: 206 with Content-Range, suffix ranges, 416 past the end', async () => {
    const bytes = Buffer.from('0123456789');
    await fetch(upload('uploadType=media&name=wire/range'), { method: 'POST', body: bytes });
    const part = await fetch(api(`${objectPath('wire/range')}?alt=media`), { headers: { Range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(part.headers.get('x-goog-hash')).toContain(`crc32c=${crc32cBase64(crc32cOf(bytes))}`);
    expect(await part.text()).toBe('2345');
    expect(await (await fetch(api(`${objectPath('wire/range')}?alt=media`), { headers: { Range: 'bytes=-3' } })).text()).toBe('789');
    expect((await fetch(api(`${objectPath('wire/range')}?alt=media`), { headers: { Range: 'bytes=10-' } })).status).toBe(416);
  });

  it('runs a resumable session: Location, 308 with Range, status query, 256 KiB chunks, final 200', async () => {
    const bytes = randomBytes(2 * QUANTUM + 1000);
    const started = await fetch(upload('uploadType=resumable&name=wire/session.bin'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Upload-Content-Type': 'application/x-session' },
      body: JSON.stringify({ metadata: { via: 'session' } }),
    });
    expect(started.status).toBe(200);
    const session = started.headers.get('location') ?? '';
    expect(session).toContain('upload_id=');

    const status = async (total: string) => fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes */${total}` } });
    const empty = await status('*');
    expect(empty.status).toBe(308);
    expect(empty.headers.get('range')).toBeNull();

    const first = await fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes 0-${QUANTUM - 1}/*` }, body: bytes.subarray(0, QUANTUM) });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${QUANTUM - 1}`);
    // A chunk that is not a multiple of 256 KiB may only be the last.
    const ragged = await fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes ${QUANTUM}-${QUANTUM + 99}/*` }, body: bytes.subarray(QUANTUM, QUANTUM + 100) });
    expect(ragged.status).toBe(400);
    // A chunk re-sent from before what the session has is accepted; the overlap is not stored twice.
    const overlap = await fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes 0-${2 * QUANTUM - 1}/*` }, body: bytes.subarray(0, 2 * QUANTUM) });
    expect(overlap.headers.get('range')).toBe(`bytes=0-${2 * QUANTUM - 1}`);
    const queried = await status(String(bytes.length));
    expect(queried.status).toBe(308);
    expect(queried.headers.get('range')).toBe(`bytes=0-${2 * QUANTUM - 1}`);
    const last = await fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes ${2 * QUANTUM}-${bytes.length - 1}/${bytes.length}` }, body: bytes.subarray(2 * QUANTUM) });
    expect(last.status).toBe(200);
    expect(await json(last)).toMatchObject({ name: 'wire/session.bin', size: String(bytes.length), contentType: 'application/x-session', metadata: { via: 'session' } });
    expect((await status(String(bytes.length))).status).toBe(200); // a finished session answers the object
    const stored = Buffer.from(await (await fetch(api(`${objectPath('wire/session.bin')}?alt=media`))).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
  });

  it('compose takes 1 to 32 sources and checks each source\'s generation precondition', async () => {
    const sources = [];
    for (let index = 0; index < 33; index += 1) {
      const resource = await json(await fetch(upload(`uploadType=media&name=wire/c/${index}`), { method: 'POST', body: `${index};` }));
      sources.push({ name: `wire/c/${index}`, objectPreconditions: { ifGenerationMatch: resource['generation'] } });
    }
    const compose = (body: object) => fetch(api(`${objectPath('wire/c-all')}/compose`), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await compose({ sourceObjects: sources })).status).toBe(400);
    const ok = await compose({ sourceObjects: sources.slice(0, 32), destination: { contentType: 'text/plain' } });
    expect(await json(ok)).toMatchObject({ componentCount: 32, contentType: 'text/plain' });
    const stale = await compose({ sourceObjects: [{ name: 'wire/c/0', objectPreconditions: { ifGenerationMatch: '1' } }] });
    expect(stale.status).toBe(412);
    expect((await compose({ sourceObjects: [{ name: 'wire/c/none' }] })).status).toBe(404);
  });

  it('injects faults, counts requests and upload bytes, and is steered through /__admin/', async () => {
    server.resetStats();
    const admin = (path: string, body?: object) =>
      fetch(`${server.endpoint}/__admin/${path}`, { method: body === undefined ? 'GET' : 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    expect((await admin('faults', { errorRate: { 'objects.get': 1 }, latencyMs: 5 })).status).toBe(200);
    const failed = await fetch(api(objectPath('wire/media.txt')));
    expect(failed.status).toBe(503);
    expect(await json(failed)).toMatchObject({ error: { code: 503, errors: [{ reason: 'backendError' }] } });
    expect((await admin('faults', { failNth: [2] })).status).toBe(200);
    expect((await fetch(api(objectPath('wire/media.txt')))).status).toBe(200);
    expect((await fetch(api(objectPath('wire/media.txt')))).status).toBe(503);
    expect((await admin('faults', { resetRate: { 'objects.insert': 1 } })).status).toBe(200);
    await expect(fetch(upload('uploadType=media&name=wire/cut'), { method: 'POST', body: randomBytes(1024 * 1024) })).rejects.toThrow();
    expect((await fetch(api(objectPath('wire/cut')))).status).toBe(404);
    expect((await admin('faults', { nonsense: true })).status).toBe(400);
    await admin('faults', {});
    await fetch(upload('uploadType=media&name=wire/counted'), { method: 'POST', body: Buffer.alloc(1000) });
    const stats = (await json(await admin('stats'))) as { requests: Record<string, number>; uploadBytesStored: number; uploadBytesReceived: number };
    expect(stats.requests['objects.get']).toBe(4);
    expect(stats.uploadBytesStored).toBe(1000);
    expect(stats.uploadBytesReceived).toBeGreaterThan(1000); // the cut upload's bytes count as received
    expect((await admin('reset-stats', {})).status).toBe(200);
    expect(server.stats().requests).toEqual({});
  });

  it('keeps objects and generations across a restart on the same data folder', async () => {
    const restartDir = await mkdtemp(join(tmpdir(), 'tierdrop-gcs-restart-'));
    const first = await startGcsTestServer({ dataDir: restartDir, buckets: ['kept'] });
    const written = await json(await fetch(`${first.endpoint}/upload/storage/v1/b/kept/o?uploadType=media&name=a`, { method: 'POST', body: 'persisted' }));
    await first.close();
    const second = await startGcsTestServer({ dataDir: restartDir });
    try {
      const read = await fetch(`${second.endpoint}/storage/v1/b/kept/o/a?alt=media`);
      expect(await read.text()).toBe('persisted');
      const rewritten = await json(await fetch(`${second.endpoint}/upload/storage/v1/b/kept/o?uploadType=media&name=a`, { method: 'POST', body: 'again' }));
      expect(BigInt(String(rewritten['generation']))).toBeGreaterThan(BigInt(String(written['generation'])));
    } finally {
      await second.close();
      await rm(restartDir, { recursive: true, force: true });
    }
  });
});
