// A real `tierdrop upload` to our GCS test server is killed with SIGKILL half way through 256 MiB;
// `tierdrop resume` finishes it from the parts the store holds as temporary objects, without
// re-sending more than the parts that were in flight, and leaves no temporary object behind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsBackend } from '../../core/backends/index.js';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { startGcsTestServer, type GcsTestServer } from '../support/gcs-server/index.js';
import { countingGcsUploads, expectSameBytes, killAndResume } from './crash-harness.js';

const SIZE_BYTES = 256 * MiB;
const PART_BYTES = 8 * MiB;
const CONCURRENCY = 4;
const SMALL_OBJECTS_SLACK_BYTES = 64 * 1024; // manifests and tombstones are uploads too, a few hundred bytes each

let server: GcsTestServer;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  work = tempDir('crash-gcs');
  server = await startGcsTestServer({ dataDir: join(work.path, 'store'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

describe('crash and resume on GCS', () => {
  it('finishes a 256 MiB upload after SIGKILL, re-sending at most the parts in flight', async () => {
    const source = join(work.path, 'big.bin');
    writeRandomFile(source, SIZE_BYTES);
    const home = join(work.path, 'home');
    const url = `gs://bucket/backups?endpoint=${encodeURIComponent(server.endpoint)}`;
    const upload = ['upload', source, '--to', url, '--part-size', '8MiB', '--concurrency', String(CONCURRENCY), '--json'];
    const { missingBytes, sentAfterKill } = await killAndResume(countingGcsUploads(server), upload, home, SIZE_BYTES, 90_000);
    expect(sentAfterKill).toBeGreaterThanOrEqual(missingBytes);
    expect(sentAfterKill).toBeLessThanOrEqual(missingBytes + CONCURRENCY * PART_BYTES + SMALL_OBJECTS_SLACK_BYTES);
    // Parts were joined by compose, not sent again.
    expect(server.stats().requests['objects.compose'] ?? 0).toBeGreaterThan(0);

    await expectSameBytes(url, home, 'big.bin', source, join(work.path, 'copy.bin'));

    const status = await runCli(['status', '--json'], { home });
    expect(JSON.parse(status.stdout)).toEqual([]);

    // Nothing of the parallel composite upload is left: no manifest, no part, no intermediate.
    const store = new GcsBackend({ bucket: 'bucket', endpoint: server.endpoint });
    try {
      const leftovers = [];
      for await (const upload of store.listUploads('')) leftovers.push(upload);
      expect(leftovers).toEqual([]);
      const raw = await fetch(`${server.endpoint}/storage/v1/b/bucket/o?prefix=${encodeURIComponent('.tierdrop/')}`);
      expect(await raw.json()).toEqual({ kind: 'storage#objects' });
    } finally {
      await store.dispose();
    }
  }, 240_000);
});
