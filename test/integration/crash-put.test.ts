// A crash (SIGKILL of the real CLI) at every phase boundary of a whole-object write: a revision put
// and committed by tombstone, and an inline write over a tombstone. After the restart the key holds
// the old object or the new one, whole, and the store holds no orphan.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
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
  work = tempDir('crash-put');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

const STORES = {
  fs: () => `file://${join(work.path, `store-${++serial}`)}`,
  s3: () => `s3://bucket/c${++serial}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`,
} as const;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Uploads `before`, then `after` with a crash at `point`, restarts, and judges the store. */
async function crashWhileReplacing(url: string, point: string, before: Buffer, after: Buffer): Promise<void> {
  const home = join(work.path, `home-${++serial}`);
  const source = join(work.path, `file-${serial}`);
  writeFileSync(source, before);
  expect((await runCli(['upload', source, '--to', url], { home })).code).toBe(0);
  writeFileSync(source, after);
  await runUntilCrash(['upload', source, '--to', url], home, point);
  await restart(home);
  const facts = await inspect(url, home, `file-${serial}`);
  expect([sha256(before), sha256(after)]).toContain(facts.sha256);
  expect(facts.unreferenced).toEqual([]);
  expect(facts.openUploads).toEqual([]);
  expect(facts.changes).toBe(0);
}

describe.each(Object.keys(STORES) as Array<keyof typeof STORES>)('a crash while writing a whole object (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  it.each(['put.recorded', 'put.stored', 'put.written', 'put.cas', 'put.updated', 'put.cleaned'])(
    'replacing a revision, at %s',
    async (point) => {
      await crashWhileReplacing(STORES[kind](), point, randomBytes(2 * MiB), randomBytes(3 * MiB));
    },
  );

  it.each(['inline.recorded', 'inline.cas', 'inline.cleaned'])('replacing a revision with an inline object, at %s', async (point) => {
    await crashWhileReplacing(STORES[kind](), point, randomBytes(2 * MiB), randomBytes(4096));
  });
});
