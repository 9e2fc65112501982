// A real `tierdrop upload` to our GCS test server is killed with SIGKILL half way through 256 MiB;
// `tierdrop resume` finishes it from the parts the store holds as temporary objects, without
// re-sending more than the parts that were in flight, and leaves no temporary object behind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsBackend } from '../../core/backends/index.js';
import { MiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { runCli, startCli } from '../support/cli.js';
import { sha256OfFile, tempDir, writeRandomFile } from '../support/files.js';
import { startGcsTestServer, type GcsTestServer } from '../support/gcs-server/index.js';
import { waitFor } from '../support/service.js';

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
    // Slow the store down so that "half way" lasts long enough to be caught.
    server.setFaults({ throttleBytesPerSec: 64 * MiB });
    server.resetStats();

    const upload = startCli(['upload', source, '--to', url, '--part-size', '8MiB', '--concurrency', String(CONCURRENCY), '--json'], { home });
    let halfWay = false;
    upload.onEvent((event) => {
      if (event['type'] !== 'transfer.progress') return;
      const items = event['items'] as Array<{ bytesDone: number; sizeBytes: number }>;
      if (items.some((item) => item.bytesDone >= item.sizeBytes / 2)) halfWay = true;
    });
    await waitFor(() => halfWay, 90_000, 'the upload to reach half way');
    upload.child.kill('SIGKILL');
    const killed = await upload.exited;
    expect(killed.signal).toBe('SIGKILL');

    // Let the server notice the dropped connections, then take its count.
    await waitFor(() => server.stats().inFlightUploads === 0, 10_000, 'in-flight uploads to drop');
    const atKill = server.stats();
    const missingBytes = SIZE_BYTES - atKill.uploadBytesStored;
    expect(atKill.uploadBytesStored).toBeGreaterThan(0);
    expect(missingBytes).toBeGreaterThan(0);

    const { journal } = Journal.open(journalPath(home));
    try {
      expect(journal.integrityCheck()).toEqual([]);
      const [row] = journal.listUploads();
      expect(row?.state).toBe('uploading');
      expect(journal.partProgress(row?.id ?? '').partsDone).toBeGreaterThan(0);
    } finally {
      journal.close();
    }

    server.setFaults({});
    const resumed = await runCli(['resume', '--json'], { home });
    if (resumed.code !== 0) console.log(resumed.stdout.split('\n').filter((l) => !l.includes('progress')).join('\n'));
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.events.some((event) => event['type'] === 'journal.recovered')).toBe(true);

    const afterResume = server.stats();
    const receivedAfterKill = afterResume.uploadBytesReceived - atKill.uploadBytesReceived;
    expect(receivedAfterKill).toBeGreaterThanOrEqual(missingBytes);
    expect(receivedAfterKill).toBeLessThanOrEqual(missingBytes + CONCURRENCY * PART_BYTES + SMALL_OBJECTS_SLACK_BYTES);
    // Parts were joined by compose, not sent again.
    expect(afterResume.requests['objects.compose'] ?? 0).toBeGreaterThan(0);

    const copy = join(work.path, 'copy.bin');
    const fetched = await runCli(['get', 'big.bin', '--from', url, '-o', copy], { home });
    expect(fetched.code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(source));

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
