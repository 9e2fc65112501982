// Credentials entered in the window, through the loopback host: with none in the environment, an
// S3 store that checks SigV4 refuses the destination until keys are entered; then a test and an
// upload work, the keys survive a restart in an owner-only file, and no answer ever carries them.
import { request as httpRequest } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialsStatus, Destination, TransferView } from '../../core/contract/index.js';
import { CREDENTIALS_FILE } from '../../core/host/credentials-vault.js';
import { startHost, type RunningHost } from '../../core/host/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { sha256OfFile, sha256OfStream, tempDir, writeRandomFile } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { FAST_RETRIES } from '../support/service.js';

const KEY_ID = 'AKIAENTEREDINWINDOW';
const SECRET = 'entered/in+the/window/secret-0123456789abcdef';
const answers: string[] = []; // every body the host sent back, searched for the secret at the end

let work: ReturnType<typeof tempDir>;
let server: S3TestServer;
let host: RunningHost;
let home: string;

beforeAll(async () => {
  // Nothing from the environment: the entered keys are the only ones that can work.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
  work = tempDir('host-credentials');
  process.env['AWS_SHARED_CREDENTIALS_FILE'] = join(work.path, 'no-aws-credentials');
  process.env['AWS_CONFIG_FILE'] = join(work.path, 'no-aws-config');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'], credentials: [{ accessKeyId: KEY_ID, secretAccessKey: SECRET }] });
  home = join(work.path, 'home');
  host = await startHost({ home, rendererDir: work.path, overrides: FAST_RETRIES });
});

afterAll(async () => {
  await host.close();
  await server.close();
  work.cleanup();
});

interface Envelope<T> {
  ok: boolean;
  value: T;
  error?: { code: string; message: string; hint?: string };
}

async function command<T>(name: string, input: unknown, on: RunningHost = host): Promise<Envelope<T>> {
  const answer = await fetch(`http://127.0.0.1:${on.port}/api/command/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${on.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const text = await answer.text();
  answers.push(text);
  return JSON.parse(text) as Envelope<T>;
}

/** The first message of the event stream: what a window learns when it connects. */
function snapshotText(on: RunningHost): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: on.port, path: `/api/events?token=${on.token}` }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('event: snapshot') && text.endsWith('\n\n')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForState(id: string, state: TransferView['state']): Promise<TransferView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await command<TransferView[]>('listTransfers', {});
    const transfer = listed.value.find((candidate) => candidate.id === id);
    if (transfer?.state === state) return transfer;
    if (Date.now() > deadline) throw new Error(`${id} is ${transfer?.state ?? 'missing'}, not ${state}: ${JSON.stringify(transfer?.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('credentials entered in the window', () => {
  let destination: Destination;

  it('are needed: without them the store refuses the destination and says how to fix it', async () => {
    const url = `s3://bucket/entered?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
    destination = (await command<Destination>('addDestination', { name: 'Test store', url })).value;
    const test = await command<unknown>('testDestination', { url });
    expect(test.ok).toBe(false);
    expect(test.error?.code).toBe('invalid_credentials');
    expect((await command<CredentialsStatus[]>('listCredentials', {})).value).toContainEqual({ destinationId: destination.id, set: false, kind: null });
  });

  it('are validated: the wrong kind, an unknown destination and empty fields are refused', async () => {
    const gcs = await command<unknown>('setCredentials', { destinationId: destination.id, credentials: { kind: 'gcs', keyFile: '/tmp/key.json' } });
    expect(gcs.error?.message).toMatch(/S3 destination/);
    const unknown = await command<unknown>('setCredentials', { destinationId: 'nope', credentials: { kind: 's3', accessKeyId: 'A', secretAccessKey: 'B' } });
    expect(unknown.error?.code).toBe('not_found');
    const empty = await command<unknown>('setCredentials', { destinationId: destination.id, credentials: { kind: 's3', accessKeyId: ' ', secretAccessKey: '' } });
    expect(empty.error?.code).toBe('invalid_input');
  });

  it('make a connection test and an upload work, with the bytes in the bucket', async () => {
    const set = await command<CredentialsStatus>('setCredentials', { destinationId: destination.id, credentials: { kind: 's3', accessKeyId: KEY_ID, secretAccessKey: SECRET } });
    expect(set).toEqual({ ok: true, value: { destinationId: destination.id, set: true, kind: 's3' } });
    const test = await command<{ latencyMs: number }>('testDestination', { url: destination.url });
    expect(test.ok, JSON.stringify(test.error)).toBe(true);

    const file = join(work.path, 'photo.bin');
    writeRandomFile(file, 12 * 1024 * 1024); // multipart with the default 8 MiB parts
    const added = await command<{ ids: string[] }>('addFiles', { paths: [file], destination: destination.url });
    const id = added.value.ids[0] ?? '';
    await waitForState(id, 'done');
    // Read back through the tiered layout, in this process, where the host's entered keys are found.
    const store = openDestination(destination.url);
    try {
      const object = await store.backend.get('entered/photo.bin');
      expect(object).not.toBeNull();
      if (object) expect(await sha256OfStream(object.body)).toBe(await sha256OfFile(file));
    } finally {
      await store.backend.dispose();
    }
  });

  it('are kept in an owner-only file and survive a restart', async () => {
    const path = join(home, CREDENTIALS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain(destination.id);
    await host.close();
    host = await startHost({ home, rendererDir: work.path, overrides: FAST_RETRIES });
    expect((await command<CredentialsStatus[]>('listCredentials', {})).value).toContainEqual({ destinationId: destination.id, set: true, kind: 's3' });
    expect((await command<unknown>('testDestination', { url: destination.url })).ok).toBe(true);
  });

  it('are never sent back: not by any command, not in the snapshot', async () => {
    for (const name of ['getSettings', 'listDestinations', 'listTransfers', 'listCredentials']) await command<unknown>(name, {});
    answers.push(await snapshotText(host));
    for (const text of answers) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(KEY_ID);
    }
  });

  it('can be forgotten, after which the store refuses again', async () => {
    const cleared = await command<CredentialsStatus>('setCredentials', { destinationId: destination.id, credentials: null });
    expect(cleared.value).toEqual({ destinationId: destination.id, set: false, kind: null });
    const test = await command<unknown>('testDestination', { url: destination.url });
    expect(test.error?.code).toBe('invalid_credentials');
  });
});
