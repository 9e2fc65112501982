// A real `tierdrop upload` process is killed with SIGKILL half way through a 256 MiB upload;
// `tierdrop resume` finishes it without re-sending what the store had acknowledged.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { runCli, startCli } from '../support/cli.js';
import { sha256OfFile, tempDir, writeRandomFile } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { waitFor } from '../support/service.js';

const SIZE_BYTES = 256 * MiB;
const PART_BYTES = 8 * MiB;
const CONCURRENCY = 4;

let server: S3TestServer;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  work = tempDir('crash');
  server = await startS3TestServer({ dataDir: join(work.path, 'store'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

describe('crash and resume', () => {
  it('finishes a 256 MiB upload after SIGKILL, re-sending at most the parts in flight', async () => {
    const source = join(work.path, 'big.bin');
    writeRandomFile(source, SIZE_BYTES);
    const home = join(work.path, 'home');
    const url = `s3://bucket/backups?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
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
    await waitFor(() => halfWay, 60_000, 'the upload to reach half way');
    upload.child.kill('SIGKILL');
    const killed = await upload.exited;
    expect(killed.signal).toBe('SIGKILL');

    // Let the server notice the dropped connections, then take its count.
    await waitFor(() => server.stats().inFlightParts === 0, 10_000, 'in-flight parts to drop');
    const atKill = server.stats();
    const missingBytes = SIZE_BYTES - atKill.partBytesStored;
    expect(atKill.partBytesStored).toBeGreaterThan(0);
    expect(missingBytes).toBeGreaterThan(0);

    // The journal the killed process left behind is intact.
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
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.events.some((event) => event['type'] === 'journal.recovered')).toBe(true);

    const afterResume = server.stats();
    const receivedAfterKill = afterResume.partBytesReceived - atKill.partBytesReceived;
    expect(receivedAfterKill).toBeGreaterThanOrEqual(missingBytes);
    expect(receivedAfterKill).toBeLessThanOrEqual(missingBytes + CONCURRENCY * PART_BYTES);

    const copy = join(work.path, 'copy.bin');
    const fetched = await runCli(['get', 'big.bin', '--from', url, '-o', copy], { home });
    expect(fetched.code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(source));

    const status = await runCli(['status', '--json'], { home });
    expect(JSON.parse(status.stdout)).toEqual([]);
  }, 180_000);
});
