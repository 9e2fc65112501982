// TieredStorage against a local folder and the S3 protocol test server: where objects land (inline
// in HV, or an LT revision behind a tombstone), what readers see, what overwrites and deletes leave
// behind, multipart through tokens, forged tokens, and two writers racing on one key.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Backend, MultipartUploadBackend } from '../../core/backends/index.js';
import { KiB, MiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { encodeTombstone, openDestination, type TieredStorage } from '../../core/tiered/index.js';
import { sha256OfStream } from '../support/files.js';
import { useS3World } from '../support/s3-world.js';

const world = useS3World('tiered-storage');
let serial = 0;

interface Opened {
  storage: TieredStorage;
  raw: Backend;
  journal: Journal;
  prefix: string;
}

const KINDS = {
  fs: () => `file://${world.scratch}/store-${++serial}`,
  s3: () => world.url(`t${++serial}`),
} as const;

function open(url: string, journal = Journal.openInMemory()): Opened {
  const opened = openDestination(url, { changes: journal.changes });
  const storage = opened.tiered;
  if (storage === null) throw new Error('expected a tiered destination');
  world.defer(async () => {
    await storage.dispose();
    journal.close();
  });
  return { storage, raw: storage.hv, journal, prefix: opened.prefix };
}

async function text(storage: Backend, key: string): Promise<string | null> {
  const object = await storage.get(key);
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

async function sha(storage: Backend, key: string): Promise<string | null> {
  const object = await storage.get(key);
  return object === null ? null : sha256OfStream(object.body);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function keys(store: Backend, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const meta of store.list(prefix)) found.push(meta.key);
  return found.sort();
}

async function uploads(store: MultipartUploadBackend, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const upload of store.listUploads(prefix)) found.push(upload.key);
  return found;
}

describe.each(Object.keys(KINDS) as Array<keyof typeof KINDS>)('TieredStorage on %s', (kind) => {
  it('keeps a small object inline at its key and a large one as a revision behind a tombstone', async () => {
    const { storage, raw, prefix, journal } = open(KINDS[kind]());
    const small = randomBytes(10 * KiB);
    const large = randomBytes(2 * MiB);
    await storage.put(`${prefix}small.bin`, small, { contentLength: small.length });
    await storage.put(`${prefix}large.bin`, large, { contentLength: large.length });

    expect(await sha(raw, `${prefix}small.bin`)).toBe(sha256(small));
    const tombstone = await text(raw, `${prefix}large.bin`);
    expect(tombstone).toContain('"format":"tierdrop.tombstone"');
    const revisions = await keys(raw, `${prefix}.tierdrop-lt/`);
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatch(new RegExp(`^${prefix}\\.tierdrop-lt/large\\.bin/[0-9a-f-]{36}$`));

    expect(await sha(storage, `${prefix}large.bin`)).toBe(sha256(large));
    expect((await storage.head(`${prefix}large.bin`))?.sizeBytes).toBe(large.length);
    const listed = [];
    for await (const meta of storage.list(prefix)) listed.push({ key: meta.key, size: meta.sizeBytes });
    expect(listed.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: `${prefix}large.bin`, size: large.length },
      { key: `${prefix}small.bin`, size: small.length },
    ]);
    expect(journal.changes.list()).toEqual([]);
  });

  it('deletes the replaced revision after an overwrite, and tombstone then revision on delete', async () => {
    const { storage, raw, prefix, journal } = open(KINDS[kind]());
    const key = `${prefix}photo.raw`;
    const first = randomBytes(2 * MiB);
    const second = randomBytes(3 * MiB);
    await storage.put(key, first, { contentLength: first.length });
    await storage.put(key, second, { contentLength: second.length });
    expect(await keys(raw, `${prefix}.tierdrop-lt/`)).toHaveLength(1);
    expect(await sha(storage, key)).toBe(sha256(second));

    const small = Buffer.from('now it is small');
    await storage.put(key, small, { contentLength: small.length });
    expect(await keys(raw, `${prefix}.tierdrop-lt/`)).toEqual([]);
    expect(await text(storage, key)).toBe('now it is small');

    await storage.put(key, first, { contentLength: first.length });
    await storage.delete(key);
    expect(await storage.get(key)).toBeNull();
    expect(await keys(raw, prefix)).toEqual([]);
    expect(journal.changes.list()).toEqual([]);
  });

  it('stores an inline object that reads as a tombstone as a revision, so it is never taken for one', async () => {
    const { storage, raw, prefix } = open(KINDS[kind]());
    const lookalike = encodeTombstone(`${prefix}trick`, '0190b5a0-0000-7000-8000-000000000000', 5);
    await storage.put(`${prefix}trick`, lookalike, { contentLength: lookalike.length });
    expect(await sha(storage, `${prefix}trick`)).toBe(sha256(lookalike));
    expect(await keys(raw, `${prefix}.tierdrop-lt/`)).toHaveLength(1);
  });

  it('assembles a multipart upload through a token, completes idempotently, and refuses forged tokens', async () => {
    const { storage, raw, prefix } = open(KINDS[kind]());
    const key = `${prefix}big.bin`;
    const parts = [randomBytes(5 * MiB), randomBytes(1 * MiB)];
    const token = await storage.initiate(key);
    const receipts = [];
    for (const [index, part] of parts.entries()) receipts.push(await storage.uploadPart(key, token, index + 1, part, part.length));
    expect((await storage.listParts(key, token)).map((part) => part.partNo)).toEqual([1, 2]);

    const [head, body, mac] = token.split('.');
    const otherBody = Buffer.from(JSON.stringify({ key, revision: '0190b5a0-0000-7000-8000-000000000000', ltUploadId: 'x' })).toString('base64url');
    for (const forged of [`${head}.${otherBody}.${mac}`, `${head}.${body}.${Buffer.alloc(32).toString('base64url')}`, 'not-a-token']) {
      await expect(storage.complete(key, forged, receipts)).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(storage.listParts(key, forged)).rejects.toMatchObject({ code: 'invalid_input' });
    }
    await expect(storage.complete(`${prefix}other.bin`, token, receipts)).rejects.toMatchObject({ code: 'invalid_input' });
    // A token from another journal (another install) is refused too.
    const stranger = open(KINDS[kind](), Journal.openInMemory());
    await expect(stranger.storage.listParts(key, token)).rejects.toMatchObject({ code: 'invalid_input' });

    expect(await storage.complete(key, token, receipts)).toBeNull();
    expect(await storage.complete(key, token, receipts)).toBeNull();
    expect(await sha(storage, key)).toBe(sha256(Buffer.concat(parts)));
    expect(await uploads(storage.lt, prefix)).toEqual([]);
    expect(await keys(raw, `${prefix}.tierdrop-lt/`)).toHaveLength(1);
  });

  it('lets the last of two racing writers win each round; the loser leaves nothing and readers see whole objects', async () => {
    const url = KINDS[kind]();
    const writers = [open(url), open(url)];
    const reader = open(url);
    const key = `${writers[0]?.prefix ?? ''}contested.bin`;
    const versions = new Map<string, string>();
    const seed = randomBytes(2 * MiB);
    await writers[0]?.storage.put(key, seed, { contentLength: seed.length });
    versions.set(sha256(seed), 'seed');
    let reading = true;
    let reads = 0;
    const readerLoop = (async () => {
      while (reading) {
        const seen = await sha(reader.storage, key);
        expect(seen === null ? 'missing' : versions.has(seen) ? 'whole' : 'partial').toBe('whole');
        reads += 1;
      }
    })();
    const ROUNDS = kind === 'fs' ? 12 : 8;
    for (let round = 0; round < ROUNDS; round += 1) {
      const bodies = writers.map(() => randomBytes(1 * MiB + 17 * round));
      for (const body of bodies) versions.set(sha256(body), `round ${round}`);
      await Promise.all(writers.map((writer, index) => writer.storage.put(key, bodies[index] ?? Buffer.alloc(0), { contentLength: bodies[index]?.length ?? 0 })));
      const now = await sha(reader.storage, key);
      expect(bodies.map(sha256)).toContain(now);
      expect(await keys(reader.raw, `${reader.prefix}.tierdrop-lt/`)).toHaveLength(1);
      for (const writer of writers) expect(writer.journal.changes.list()).toEqual([]);
    }
    reading = false;
    await readerLoop;
    expect(reads).toBeGreaterThan(0);
  });
});

describe('TieredStorage requests on S3', () => {
  function requestsSince(before: Record<string, number>): Record<string, number> {
    const now = world.server.stats().requests;
    return Object.fromEntries(Object.entries(now).flatMap(([operation, count]) => (count === (before[operation] ?? 0) ? [] : [[operation, count - (before[operation] ?? 0)]])));
  }

  it('writes a revision of a new key without reading the key first, and reads first once keys are mostly taken', async () => {
    const { storage, prefix } = open(KINDS.s3());
    const bodies = Array.from({ length: 6 }, () => randomBytes(1 * MiB + 1));
    let before = { ...world.server.stats().requests };
    for (const [index, body] of bodies.entries()) await storage.put(`${prefix}new-${index}.bin`, body, { contentLength: body.length });
    // One PUT of the revision and one create-if-absent of the tombstone per file, nothing else.
    expect(requestsSince(before)).toEqual({ PutObject: 12 });

    // Uploaded again: the first ones find their key taken and read it after all; then the reads come first.
    const again = bodies.map(() => randomBytes(1 * MiB + 2));
    before = { ...world.server.stats().requests };
    for (const [index, body] of again.entries()) await storage.put(`${prefix}new-${index}.bin`, body, { contentLength: body.length });
    const reuploaded = requestsSince(before);
    expect(reuploaded['DeleteObject']).toBe(6); // each replaced revision
    expect(reuploaded['PutObject']).toBeLessThan(6 * 3); // once reading first, no refused create-if-absent
    for (const [index, body] of again.entries()) expect(await sha(storage, `${prefix}new-${index}.bin`)).toBe(sha256(body));
    expect(await keys(storage.lt, `${prefix}.tierdrop-lt/`)).toHaveLength(6);
  });
});
