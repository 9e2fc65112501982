// A crash (SIGKILL of the real CLI) at every phase boundary of deleting a tiered object: the
// tombstone goes first, then the revision. After the restart the key holds the object whole or
// nothing, and no revision is left without a tombstone.
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
  work = tempDir('crash-delete');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

const STORES = {
  fs: () => `file://${join(work.path, `store-${++serial}`)}`,
  s3: () => `s3://bucket/d${++serial}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`,
} as const;

describe.each(Object.keys(STORES) as Array<keyof typeof STORES>)('a crash while deleting (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  it.each(['delete.recorded', 'delete.removed', 'delete.updated', 'delete.cleaned'])('at %s', async (point) => {
    const url = STORES[kind]();
    const home = join(work.path, `home-${++serial}`);
    const name = `doomed-${serial}`;
    const source = join(work.path, name);
    const bytes = randomBytes(2 * MiB);
    writeFileSync(source, bytes);
    expect((await runCli(['upload', source, '--to', url], { home })).code).toBe(0);
    await runUntilCrash(['rm', name, '--from', url], home, point);
    await restart(home);
    const facts = await inspect(url, home, name);
    expect([createHash('sha256').update(bytes).digest('hex'), null]).toContain(facts.sha256);
    expect(facts.unreferenced).toEqual([]);
    expect(facts.openUploads).toEqual([]);
    expect(facts.changes).toBe(0);
  });
});
