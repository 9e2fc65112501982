// The CLI with gs:// destinations, against the GCS test server running in its own process as
// `npm run test-server -- gcs` starts it: a folder goes up (tiered and direct), `ls` lists it,
// `get` brings it back byte for byte, and `sweep` finds and removes an upload nobody owns.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsBackend } from '../../core/backends/index.js';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { sha256OfFile, tempDir, writeRandomFile } from '../support/files.js';

const SERVE = join(import.meta.dirname, '..', 'support', 'serve.ts');
const sources: Record<string, number> = { 'a.txt': 10, 'nested/b.bin': 300 * 1024, 'nested/deeper/c.bin': 21 * MiB, 'z-empty.txt': 0 };

let work: ReturnType<typeof tempDir>;
let folder: string;
let child: ChildProcess;
let endpoint: string;

beforeAll(async () => {
  work = tempDir('cli-gcs');
  folder = join(work.path, 'album');
  for (const [relative, size] of Object.entries(sources)) {
    mkdirSync(join(folder, relative, '..'), { recursive: true });
    writeRandomFile(join(folder, relative), size);
  }
  child = spawn(process.execPath, ['--import', 'tsx', SERVE, 'gcs', '--port', '0', '--data', join(work.path, 'store'), '--bucket', 'bucket'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /^listening (http:\/\/127\.0\.0\.1:\d+)\n/.exec(text);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the GCS test server exited with ${String(code)}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  work.cleanup();
});

async function roundTrip(url: string, home: string): Promise<void> {
  const upload = await runCli(['upload', folder, '--to', url, '--part-size', '5MiB'], { home });
  expect(upload.stderr).toContain('4 uploaded, 0 failed, 0 skipped');
  expect(upload.code).toBe(0);
  // One small object and one assembled by compose: each `get` is a process start, seconds on a busy machine.
  for (const relative of ['a.txt', 'nested/deeper/c.bin']) {
    const copy = join(work.path, `copy-${relative.replaceAll('/', '_')}`);
    const fetched = await runCli(['get', `album/${relative}`, '--from', url, '-o', copy], { home });
    expect(fetched.code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(join(folder, relative)));
  }
  const listed = await runCli(['ls', '--to', url, '--json'], { home });
  expect(listed.code).toBe(0);
  const objects = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { key: string; sizeBytes: number });
  expect(objects.map(({ key, sizeBytes }) => ({ key, sizeBytes })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
    Object.entries(sources).map(([relative, sizeBytes]) => ({ key: `album/${relative}`, sizeBytes })),
  );
  expect(JSON.parse((await runCli(['status', '--json'], { home })).stdout)).toEqual([]);
}

describe('CLI with gs:// destinations', () => {
  it('round-trips a folder to a tiered destination (the default)', async () => {
    await roundTrip(`gs://bucket/tiered?endpoint=${encodeURIComponent(endpoint)}`, join(work.path, 'home-tiered'));
  }, 180_000);

  it('round-trips a folder to a direct destination, where objects land at their keys', async () => {
    const url = `gs://bucket/direct?endpoint=${encodeURIComponent(endpoint)}&mode=direct`;
    await roundTrip(url, join(work.path, 'home-direct'));
    const answer = await fetch(`${endpoint}/storage/v1/b/bucket/o/${encodeURIComponent('direct/album/nested/deeper/c.bin')}`);
    expect(await answer.json()).toMatchObject({ size: String(21 * MiB), componentCount: 5 });
  }, 180_000);

  it('sweep lists an upload nobody owns and removes it with --yes', async () => {
    const url = `gs://bucket/swept?endpoint=${encodeURIComponent(endpoint)}`;
    const home = join(work.path, 'home-sweep');
    const store = new GcsBackend({ bucket: 'bucket', endpoint });
    try {
      // What a client that lost its journal leaves: an upload of a revision, with a part.
      const revisionKey = `swept/.tierdrop-lt/lost.bin/${uuidv7()}`;
      const uploadId = await store.initiate(revisionKey);
      await store.uploadPart(revisionKey, uploadId, 1, Buffer.from('orphaned part'), 13);
      const listed = await runCli(['sweep', '--to', url, '--older-than', '0s'], { home });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain('lost.bin');
      const swept = await runCli(['sweep', '--to', url, '--older-than', '0s', '--yes'], { home });
      expect(swept.code).toBe(0);
      const left = [];
      for await (const upload of store.listUploads('')) left.push(upload);
      expect(left).toEqual([]);
    } finally {
      await store.dispose();
    }
  }, 120_000);
});
