// The CLI end to end against a local folder and against the third-party s3rver: a folder of small
// and multipart files goes up, comes back byte for byte, and nothing is left unfinished.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { sha256OfFile, tempDir, writeRandomFile } from '../support/files.js';

let work: ReturnType<typeof tempDir>;
let folder: string;
const sources: Record<string, number> = {
  'a.txt': 10,
  'nested/b.bin': 300 * 1024,
  'nested/deeper/c.bin': 21 * MiB,
  'z-empty.txt': 0,
};

beforeAll(() => {
  work = tempDir('roundtrip');
  folder = join(work.path, 'album');
  for (const [relative, size] of Object.entries(sources)) {
    const path = join(folder, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeRandomFile(path, size);
  }
});

afterAll(() => work.cleanup());

async function roundTrip(url: string, home: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const upload = await runCli(['upload', folder, '--to', url, '--part-size', '5MiB'], { home, env });
  expect(upload.stderr).toContain('4 uploaded, 0 failed, 0 skipped');
  expect(upload.code).toBe(0);
  for (const relative of Object.keys(sources)) {
    const copy = join(work.path, `copy-${relative.replaceAll('/', '_')}`);
    const fetched = await runCli(['get', `album/${relative}`, '--from', url, '-o', copy], { home, env });
    expect(fetched.code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(join(folder, relative)));
  }
  const status = await runCli(['status', '--json'], { home, env });
  expect(JSON.parse(status.stdout)).toEqual([]);
}

describe('CLI round trip', () => {
  it('uploads a folder to a direct local folder store as plain files', async () => {
    const store = join(work.path, 'store');
    await roundTrip(`file://${store}/backup?mode=direct`, join(work.path, 'home-fs'));
    expect(readdirSync(join(store, 'backup', 'album')).sort()).toEqual(['a.txt', 'nested', 'z-empty.txt']);
    expect(await sha256OfFile(join(store, 'backup', 'album', 'nested', 'deeper', 'c.bin'))).toBe(
      await sha256OfFile(join(folder, 'nested', 'deeper', 'c.bin')),
    );
  });

  it('uploads a folder to a tiered local folder store (the default) and lists its logical objects', async () => {
    const store = join(work.path, 'tiered-store');
    const url = `file://${store}`;
    const home = join(work.path, 'home-tiered');
    await roundTrip(url, home);
    // The 21 MiB file is a revision behind a tombstone; the small ones are inline at their keys.
    expect(readdirSync(join(store, '.tierdrop-lt', 'album', 'nested', 'deeper', 'c.bin'))).toHaveLength(1);
    const listed = await runCli(['ls', '--to', url, '--json'], { home });
    expect(listed.code).toBe(0);
    const objects = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { key: string; sizeBytes: number });
    expect(objects.map(({ key, sizeBytes }) => ({ key, sizeBytes })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      Object.entries(sources).map(([relative, sizeBytes]) => ({ key: `album/${relative}`, sizeBytes })),
    );
  });

  it('uploads a folder to s3rver (checksums off, as it needs)', async () => {
    const directory = join(work.path, 's3rver');
    mkdirSync(directory);
    const fake = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'bucket' }] });
    const address = await fake.run();
    try {
      const url = `s3://bucket/up?endpoint=${encodeURIComponent(`http://127.0.0.1:${address.port}`)}&region=us-east-1&checksum=none`;
      await roundTrip(url, join(work.path, 'home-s3rver'), { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    } finally {
      await fake.close();
    }
  });
});
