// A crash (SIGKILL of the real CLI) at every phase boundary of a multipart upload through the
// tiers: after initiate records its change, before and after LT assembles the parts, around the
// tombstone's compare-and-write and the cleanup. The restart must leave the old object or the new
// one, whole, no unreferenced revision and no open multipart upload.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { useTestCredentials } from '../support/service.js';
import { inspect, restart, runUntilCrash } from './crash-harness.js';

// Several real CLI processes per test (each starts tsx); a loaded two-core machine makes that slow.
const CLI_TEST_TIMEOUT_MS = 240_000;

let work: ReturnType<typeof tempDir>;
let server: S3TestServer;
let serial = 0;

beforeAll(async () => {
  useTestCredentials();
  work = tempDir('crash-complete');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

const STORES = {
  fs: () => `file://${join(work.path, `store-${++serial}`)}`,
  s3: () => `s3://bucket/m${++serial}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`,
} as const;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe.each(Object.keys(STORES) as Array<keyof typeof STORES>)('a crash during a multipart upload (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  it.each([
    'initiate.recorded',
    'complete.assembling',
    'complete.assembled',
    'complete.written',
    'complete.cas',
    'complete.updated',
    'complete.cleaned',
  ])('at %s', async (point) => {
    const url = STORES[kind]();
    const home = join(work.path, `home-${++serial}`);
    const source = join(work.path, `big-${serial}`);
    const before = randomBytes(6 * MiB);
    const after = randomBytes(11 * MiB);
    const upload = ['upload', source, '--to', url, '--part-size', '5MiB'];
    writeFileSync(source, before);
    expect((await runCli(upload, { home })).code).toBe(0);
    writeFileSync(source, after);
    await runUntilCrash(upload, home, point);
    await restart(home);
    const facts = await inspect(url, home, `big-${serial}`);
    expect([sha256(before), sha256(after)]).toContain(facts.sha256);
    expect(facts.unreferenced).toEqual([]);
    expect(facts.openUploads).toEqual([]);
    expect(facts.changes).toBe(0);
  });
});
