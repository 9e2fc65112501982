// Tiered storage with GCS as a tier: HV and LT both on the GCS test server, and a mixed
// destination with HV on the S3 test server and LT on GCS. Judged by what each store holds:
// inline objects in HV, revisions in LT behind a tombstone, nothing left after overwrite and delete.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GcsBackend, S3Backend, type StoreBackend } from '../../core/backends/index.js';
import { KiB, MiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { TieredStorage } from '../../core/tiered/index.js';
import { sha256OfStream, tempDir } from '../support/files.js';
import { startGcsTestServer, type GcsTestServer } from '../support/gcs-server/index.js';
import { DEFAULT_CREDENTIALS, startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';

let gcs: GcsTestServer;
let s3: S3TestServer;
let data: ReturnType<typeof tempDir>;
const cleanups: Array<() => Promise<void>> = [];
let serial = 0;

beforeAll(async () => {
  data = tempDir('tiered-gcs');
  gcs = await startGcsTestServer({ dataDir: `${data.path}/gcs`, buckets: ['bucket'] });
  s3 = await startS3TestServer({ dataDir: `${data.path}/s3`, buckets: ['bucket'] });
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  await gcs.close();
  await s3.close();
  data.cleanup();
});

interface Tiers {
  storage: TieredStorage;
  hv: StoreBackend;
  lt: StoreBackend;
  prefix: string;
  journal: Journal;
}

function gcsBackend(): GcsBackend {
  return new GcsBackend({ bucket: 'bucket', endpoint: gcs.endpoint });
}

function open(layout: 'gcs' | 'mixed'): Tiers {
  const prefix = `t${++serial}/`;
  const lt = gcsBackend();
  const hv = layout === 'gcs' ? lt : new S3Backend({ bucket: 'bucket', endpoint: s3.endpoint, region: 'us-east-1', credentials: DEFAULT_CREDENTIALS, checksum: 'crc32' });
  const journal = Journal.openInMemory();
  const storage = new TieredStorage({
    hv,
    lt,
    prefix,
    destination: `test-${layout}-${serial}`,
    changes: journal.changes,
    owned: layout === 'gcs' ? [lt] : [hv, lt],
  });
  cleanups.push(async () => {
    await storage.dispose();
    journal.close();
  });
  return { storage, hv, lt, prefix, journal };
}

async function sha(store: StoreBackend, key: string): Promise<string | null> {
  const object = await store.get(key);
  return object === null ? null : sha256OfStream(object.body);
}

async function keys(store: StoreBackend, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const meta of store.list(prefix)) found.push(meta.key);
  return found.sort();
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe.each(['gcs', 'mixed'] as const)('TieredStorage with LT on GCS (%s)', (layout) => {
  it('keeps small objects inline in HV and large ones as LT revisions behind a tombstone', async () => {
    const { storage, hv, lt, prefix, journal } = open(layout);
    const small = randomBytes(10 * KiB);
    const large = randomBytes(3 * MiB);
    await storage.put(`${prefix}small.bin`, small, { contentLength: small.length });
    await storage.put(`${prefix}large.bin`, large, { contentLength: large.length });
    expect(await sha(hv, `${prefix}small.bin`)).toBe(sha256(small));
    const revisions = await keys(lt, `${prefix}.tierdrop-lt/`);
    expect(revisions).toHaveLength(1);
    expect(await sha(storage, `${prefix}large.bin`)).toBe(sha256(large));
    expect(await sha(storage, `${prefix}small.bin`)).toBe(sha256(small));
    expect(journal.changes.list()).toEqual([]);
  });

  it('a multipart upload through a token lands in LT by compose and commits by tombstone', async () => {
    const { storage, lt, prefix } = open(layout);
    const key = `${prefix}assembled.bin`;
    const parts = [randomBytes(MiB), randomBytes(MiB), randomBytes(1234)];
    const token = await storage.initiate(key);
    const receipts = [];
    for (const [index, bytes] of parts.entries()) receipts.push(await storage.uploadPart(key, token, index + 1, bytes, bytes.length));
    expect(await storage.complete(key, token, receipts)).toBeNull();
    expect(await sha(storage, key)).toBe(sha256(Buffer.concat(parts)));
    const leftovers = [];
    for await (const upload of lt.listUploads('')) leftovers.push(upload);
    expect(leftovers).toEqual([]);
  });

  it('an overwrite and a delete leave no revision behind', async () => {
    const { storage, lt, prefix } = open(layout);
    const key = `${prefix}photo.raw`;
    const first = randomBytes(2 * MiB);
    const second = randomBytes(2 * MiB + 5);
    await storage.put(key, first, { contentLength: first.length });
    await storage.put(key, second, { contentLength: second.length });
    expect(await keys(lt, `${prefix}.tierdrop-lt/`)).toHaveLength(1);
    expect(await sha(storage, key)).toBe(sha256(second));
    await storage.delete(key);
    expect(await storage.head(key)).toBeNull();
    expect(await keys(lt, `${prefix}.tierdrop-lt/`)).toEqual([]);
  });
});
