// A real `tierdrop upload` process is killed with SIGKILL half way through a 256 MiB upload;
// `tierdrop resume` finishes it without re-sending what the store had acknowledged.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { countingS3Parts, expectSameBytes, killAndResume } from './crash-harness.js';

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
    const upload = ['upload', source, '--to', url, '--part-size', '8MiB', '--concurrency', String(CONCURRENCY), '--json'];
    const { missingBytes, sentAfterKill } = await killAndResume(countingS3Parts(server), upload, home, SIZE_BYTES, 60_000);
    expect(sentAfterKill).toBeGreaterThanOrEqual(missingBytes);
    expect(sentAfterKill).toBeLessThanOrEqual(missingBytes + CONCURRENCY * PART_BYTES);

    await expectSameBytes(url, home, 'big.bin', source, join(work.path, 'copy.bin'));

    const status = await runCli(['status', '--json'], { home });
    expect(JSON.parse(status.stdout)).toEqual([]);
  }, 180_000);
});
