// The conditional-write probe a tiered destination runs for its connection test: stores that honour
// If-None-Match (our S3 test server, a local folder) are fit for several writers; s3rver ignores it,
// and the probe says so, so the destination can be reported as single-writer only.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Backend, type StoreBackend } from '../../core/backends/index.js';
import { openDestination, SINGLE_WRITER_WARNING, TieredStorage } from '../../core/tiered/index.js';
import { tempDir } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/s3-server/s3rver.js';
import { openTestService, useTestCredentials } from '../support/service.js';

const BUCKET = 'probe';

let work: ReturnType<typeof tempDir>;
let server: S3TestServer;

beforeAll(async () => {
  useTestCredentials();
  work = tempDir('tiered-probe');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: [BUCKET] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

function tieredOver(backend: StoreBackend & TieredStorage['hv'] & TieredStorage['lt']): TieredStorage {
  return new TieredStorage({ hv: backend, lt: backend, prefix: 'p/', destination: 'test', changes: null, owned: [backend] });
}

async function leftovers(storage: TieredStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const meta of storage.hv.list('')) keys.push(meta.key);
  return keys;
}

describe('the conditional-write probe', () => {
  it('finds conditions enforced by the S3 test server and a local folder, and leaves nothing behind', async () => {
    const s3 = openDestination(`s3://${BUCKET}/p?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`).tiered;
    const fs = openDestination(`file://${join(work.path, 'store')}`).tiered;
    const opened = openTestService();
    try {
      expect(await opened.service.testDestination(`s3://${BUCKET}/q?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`)).not.toHaveProperty('warnings');
    } finally {
      await opened.cleanup();
    }
    for (const storage of [s3, fs]) {
      if (storage === null) throw new Error('expected a tiered destination');
      try {
        expect(await storage.conditionalWrites()).toBe('enforced');
        expect(await leftovers(storage)).toEqual([]);
      } finally {
        await storage.dispose();
      }
    }
  });

  it('finds that s3rver ignores them: a destination there is single-writer only', async () => {
    const s3rver = await startS3rver(BUCKET);
    const backend = new S3Backend({
      bucket: BUCKET,
      endpoint: s3rver.endpoint,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      checksum: 'none', // s3rver cannot read the streaming checksum trailer
    });
    const storage = tieredOver(backend);
    // The destination test of a service reads the AWS environment: give it the pair s3rver knows.
    process.env['AWS_ACCESS_KEY_ID'] = S3RVER_CREDENTIALS.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = S3RVER_CREDENTIALS.secretAccessKey;
    const opened = openTestService();
    try {
      expect(await storage.conditionalWrites()).toBe('ignored');
      expect(await leftovers(storage)).toEqual([]);
      const url = `s3://${BUCKET}/q?endpoint=${encodeURIComponent(s3rver.endpoint)}&region=us-east-1&checksum=none`;
      expect(await opened.service.testDestination(url)).toMatchObject({ warnings: [SINGLE_WRITER_WARNING] });
    } finally {
      useTestCredentials();
      await opened.cleanup();
      await storage.dispose();
      await s3rver.close();
    }
  });
});
