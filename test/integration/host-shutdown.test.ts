// The host stops promptly whatever is in flight (an open event stream, a half-sent request, an
// upload stuck on a store that does not answer), `serve --port 0` takes a free port and prints it,
// and an upload to a bucket that does not exist says what to do about it.
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../core/contract/index.js';
import { portNumber } from '../../core/cli/commands/serve.js';
import { SERVICE_STOP_GRACE_MS } from '../../core/host/host.js';
import { startHost, type RunningHost } from '../../core/host/index.js';
import { startCli } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { FAST_RETRIES, useTestCredentials, waitFor } from '../support/service.js';

const STUCK_MS = 8_000; // the store holds every answer this long: well beyond the shutdown grace
const PROMPT_CLOSE_MS = SERVICE_STOP_GRACE_MS + 2_000; // the grace plus room for a busy machine

let work: ReturnType<typeof tempDir>;
let server: S3TestServer;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  useTestCredentials();
  work = tempDir('host-shutdown');
  server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close(); // waits for the held answers, so the services finish stopping
  for (const host of hosts) {
    await host.close();
    await host.serviceStopped;
  }
  work.cleanup();
});

async function openHost(name: string): Promise<RunningHost> {
  const host = await startHost({ home: join(work.path, name), rendererDir: work.path, overrides: FAST_RETRIES });
  hosts.push(host);
  return host;
}

function command<T>(host: RunningHost, name: string, input: unknown): Promise<{ ok: boolean; value: T; error?: { message: string } }> {
  return fetch(`http://127.0.0.1:${host.port}/api/command/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  }).then((answer) => answer.json() as Promise<{ ok: boolean; value: T; error?: { message: string } }>);
}

/** A raw socket that says something and then nothing more, as a hung client would. */
function halfSent(host: RunningHost, text: string): Socket {
  const socket = connect(host.port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(text);
  return socket;
}

describe('closing the host', () => {
  it('ends event streams, cuts hung requests and does not wait for an upload stuck on a store that does not answer', async () => {
    const host = await openHost('home-stuck');
    const destination = `s3://bucket/stuck?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1&mode=direct`;
    const file = join(work.path, 'stuck.bin');
    writeRandomFile(file, 20 * 1024 * 1024); // multipart: its first request takes no abort signal today
    server.setFaults({ latencyMs: STUCK_MS });
    const added = await command<{ ids: string[] }>(host, 'addFiles', { paths: [file], destination });
    expect(added.ok).toBe(true);

    const streamEnded = new Promise<void>((resolve) => {
      httpRequest({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${host.token}` }, (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('close', resolve);
      }).end();
    });
    const hungBody = halfSent(
      host,
      `POST /api/command/getSettings HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${host.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
    );
    const hungClosed = new Promise<void>((resolve) => hungBody.on('close', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the upload reaches the store and waits there

    const started = performance.now();
    await host.close();
    expect(performance.now() - started).toBeLessThan(PROMPT_CLOSE_MS);
    expect(host.isServiceStopped()).toBe(false); // the stuck request is still waiting on the store
    server.setFaults({});
    await streamEnded;
    await hungClosed;
    await expect(fetch(`http://127.0.0.1:${host.port}/`)).rejects.toThrow();
  });
});

describe('tierdrop serve --port', () => {
  it('takes 0 as "any free port" and prints the real one', async () => {
    const run = startCli(['serve', '--port', '0', '--no-open'], { home: join(work.path, 'home-port-zero') });
    try {
      await waitFor(() => /ready at/.test(run.stdout()) || run.child.exitCode !== null, 30_000, 'the ready line');
      const match = /Tierdrop is ready at http:\/\/127\.0\.0\.1:(\d+)\/#token=/.exec(run.stdout());
      expect(match, run.stderr()).not.toBeNull();
      const port = Number(match?.[1]);
      expect(port).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/api/events`)).status).toBe(401);
    } finally {
      run.child.kill('SIGTERM');
      await new Promise((resolve) => (run.child.exitCode !== null ? resolve(undefined) : run.child.once('exit', resolve)));
    }
  });

  it('refuses ports that are not 0 to 65535, and says what would do', () => {
    expect(portNumber('0')).toBe(0);
    expect(portNumber('8080')).toBe(8080);
    for (const bad of ['-1', '65536', 'abc', '1.5', '']) expect(() => portNumber(bad), bad).toThrow(/from 0 to 65535/);
  });
});

describe('a destination whose bucket does not exist', () => {
  it('fails the upload with what to do, in the message the window shows on the row', async () => {
    const host = await openHost('home-missing-bucket');
    const file = join(work.path, 'note.txt');
    writeFileSync(file, 'hello\n');
    for (const mode of ['tiered', 'direct']) {
      const destination = `s3://no-such-bucket/x?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1${mode === 'direct' ? '&mode=direct' : ''}`;
      const added = await command<{ ids: string[] }>(host, 'addFiles', { paths: [file], destination });
      const id = added.value.ids[0];
      let failed: TransferView | undefined;
      const deadline = Date.now() + 30_000;
      while (failed === undefined && Date.now() < deadline) {
        const listed = await command<TransferView[]>(host, 'listTransfers', { states: ['failed'] });
        failed = listed.value.find((transfer) => transfer.id === id);
        if (failed === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (failed === undefined) throw new Error(`the ${mode} upload did not fail`);
      expect(failed.error?.code).toBe('not_found');
      expect(failed.error?.message).toContain(`bucket no-such-bucket does not exist at ${server.endpoint}: create it there, or fix the bucket name in the destination URL.`);
    }
  });
});
