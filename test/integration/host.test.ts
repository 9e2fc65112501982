// The loopback host as a browser (or another site's page) meets it: who is refused, the built
// window and its headers, commands, the event stream during a real upload, and browser drops
// streamed into staging and uploaded from there.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, type Snapshot, type TierdropEvent } from '../../core/contract/index.js';
import { startHost, type RunningHost } from '../../core/host/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { sha256OfFile, sha256OfStream, tempDir, writeRandomFile } from '../support/files.js';
import { FAST_RETRIES, waitFor } from '../support/service.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request, so Host and Origin can be set the way a hostile page would. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function command(host: RunningHost, name: string, input: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(host.port, 'POST', `/api/command/${name}`, { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', ...headers }, JSON.stringify(input));
}

async function ok<T>(answer: Promise<Answer>): Promise<T> {
  const { status, body } = await answer;
  expect(status).toBe(200);
  const envelope = JSON.parse(body) as { ok: boolean; value: T; error?: unknown };
  expect(envelope, body).toMatchObject({ ok: true });
  return envelope.value;
}

/** An EventSource-like reader: the snapshot, then each event. */
function openEvents(host: RunningHost): { snapshot: Promise<Snapshot>; events: TierdropEvent[]; close: () => void } {
  const events: TierdropEvent[] = [];
  let resolveSnapshot: (snapshot: Snapshot) => void = () => undefined;
  const snapshot = new Promise<Snapshot>((resolve) => {
    resolveSnapshot = resolve;
  });
  const req = httpRequest({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${host.token}`, headers: { Accept: 'text/event-stream' } }, (res) => {
    let pending = '';
    res.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let end = pending.indexOf('\n\n');
      while (end >= 0) {
        const message = pending.slice(0, end);
        pending = pending.slice(end + 2);
        end = pending.indexOf('\n\n');
        const data = message.split('\n').find((line) => line.startsWith('data: '))?.slice('data: '.length);
        if (data === undefined) continue;
        if (message.includes('event: snapshot')) resolveSnapshot(JSON.parse(data) as Snapshot);
        else events.push(JSON.parse(data) as TierdropEvent);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { snapshot, events, close: () => req.destroy() };
}

function filesUnder(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function storedSha256(url: string, key: string): Promise<string> {
  const store = openDestination(url);
  try {
    const object = await store.backend.get(key);
    if (object === null) throw new Error(`${key} is not in ${url}`);
    return await sha256OfStream(object.body);
  } finally {
    await store.backend.dispose();
  }
}

let work: ReturnType<typeof tempDir>;
let host: RunningHost;
let home: string;
let storeUrl: string;

beforeAll(async () => {
  work = tempDir('host');
  home = join(work.path, 'home');
  const renderer = join(work.path, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Tierdrop</title><script type="module" src="/assets/app-1a2b3c.js"></script>');
  writeFileSync(join(renderer, 'assets', 'app-1a2b3c.js'), 'console.log("tierdrop");');
  storeUrl = pathToFileURL(join(work.path, 'store')).href;
  host = await startHost({ home, rendererDir: renderer, overrides: FAST_RETRIES });
});

afterAll(async () => {
  await host.close();
  work.cleanup();
});

describe('who the host answers', () => {
  it('prints a ready URL on 127.0.0.1 whose fragment carries a 256-bit token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(Buffer.from(host.token, 'base64url')).toHaveLength(32);
  });

  it('refuses a command without a token, and with a wrong one', async () => {
    const none = await send(host.port, 'POST', '/api/command/getSettings', {}, '{}');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'access_denied' } });
    const wrong = await command(host, 'getSettings', {}, { Authorization: `Bearer ${'x'.repeat(host.token.length)}` });
    expect(wrong.status).toBe(401);
    const events = await send(host.port, 'GET', '/api/events?token=nope');
    expect(events.status).toBe(401);
  });

  it('refuses a page from another origin even with the right token', async () => {
    const foreign = await command(host, 'getSettings', {}, { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const otherPort = await command(host, 'getSettings', {}, { Origin: `http://127.0.0.1:${host.port + 1}` });
    expect(otherPort.status).toBe(403);
    const nullOrigin = await command(host, 'getSettings', {}, { Origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const own = await command(host, 'getSettings', {}, { Origin: `http://localhost:${host.port}` });
    expect(own.status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding), for the API and the page alike', async () => {
    const rebound = await command(host, 'getSettings', {}, { Host: `evil.example:${host.port}` });
    expect(rebound.status).toBe(403);
    const page = await send(host.port, 'GET', '/', { Host: 'evil.example' });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('Tierdrop</title>');
  });

  it('never sends CORS headers, not even when asked', async () => {
    const preflight = await send(host.port, 'OPTIONS', '/api/command/getSettings', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' });
    expect(preflight.status).toBe(403);
    const answer = await command(host, 'getSettings', {}, { Origin: `http://127.0.0.1:${host.port}` });
    for (const answerHeaders of [preflight.headers, answer.headers]) {
      expect(Object.keys(answerHeaders).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('the window', () => {
  it('serves index.html for / with a strict CSP, and hashed assets cached forever, without a token', async () => {
    const page = await send(host.port, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe("default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await send(host.port, 'GET', '/assets/app-1a2b3c.js');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await send(host.port, 'GET', '/../home/settings.json')).status).toBe(404);
    expect((await send(host.port, 'GET', '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
  });

  it('answers 503 with the build command when the window was never built', async () => {
    const bare = await startHost({ home: join(work.path, 'home-unbuilt'), rendererDir: join(work.path, 'nothing-here') });
    try {
      const page = await send(bare.port, 'GET', '/');
      expect(page.status).toBe(503);
      expect(page.body).toContain('npm run build:renderer');
    } finally {
      await bare.close();
    }
  });
});

describe('commands', () => {
  it('round-trip through the contract, with errors as data', async () => {
    const changed = await ok<{ concurrency: number }>(command(host, 'setSettings', { concurrency: 3 }));
    expect(changed.concurrency).toBe(3);
    expect((await ok<{ concurrency: number }>(command(host, 'getSettings', {}))).concurrency).toBe(3);
    expect(await ok<unknown[]>(command(host, 'listTransfers', {}))).toEqual([]);

    const unknown = await command(host, 'formatDisk', {});
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const invalid = JSON.parse((await command(host, 'setSettings', { concurrency: 'many' })).body) as unknown;
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const notJson = await send(host.port, 'POST', '/api/command/getSettings', { Authorization: `Bearer ${host.token}` }, '{oops');
    expect(notJson.status).toBe(400);
    const huge = await command(host, 'addFiles', { paths: ['x'.repeat(2 * MiB)], destination: storeUrl });
    expect(huge.status).toBe(413);
    const wrongMethod = await send(host.port, 'GET', '/api/command/getSettings', { Authorization: `Bearer ${host.token}` });
    expect(wrongMethod.status).toBe(405);
  });
});

describe('events and uploads', () => {
  it('streams a snapshot, then the events of a real upload to a local folder', async () => {
    const source = join(work.path, 'movie.bin');
    writeRandomFile(source, 24 * MiB);
    const stream = openEvents(host);
    try {
      const snapshot = await stream.snapshot;
      expect(snapshot.settings.concurrency).toBeGreaterThan(0);
      expect(snapshot.notice).toBeNull();
      const { ids } = await ok<{ ids: string[] }>(command(host, 'addFiles', { paths: [source], destination: storeUrl }));
      expect(ids).toHaveLength(1);
      await waitFor(() => stream.events.some((event) => event.type === 'transfer.finished'), 60_000, 'transfer.finished');
      const finished = stream.events.find((event) => event.type === 'transfer.finished');
      expect(finished).toMatchObject({ transfer: { id: ids[0], state: 'done', key: 'movie.bin' } });
      expect(stream.events.some((event) => event.type === 'transfer.updated' && event.transfer.state === 'uploading')).toBe(true);
      expect(await storedSha256(storeUrl, 'movie.bin')).toBe(await sha256OfFile(source));
    } finally {
      stream.close();
    }
  });

  it('sends a heartbeat comment on an idle stream, and ends streams when the host closes', async () => {
    const quiet = await startHost({ home: join(work.path, 'home-heartbeat'), rendererDir: join(work.path, 'renderer'), heartbeatIntervalMs: 50 });
    let text = '';
    const ended = new Promise<void>((resolve) => {
      httpRequest({ host: '127.0.0.1', port: quiet.port, path: `/api/events?token=${quiet.token}` }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve());
      }).end();
    });
    await waitFor(() => text.includes(': heartbeat\n\n'), 5_000, 'a heartbeat');
    expect(text.indexOf('event: snapshot')).toBeLessThan(text.indexOf(': heartbeat'));
    await quiet.close();
    await ended;
  });

  it('uploads files dropped in a browser through staging, then deletes the staged copies', async () => {
    const batch = 'drop-1';
    const files: Array<{ path: string; bytes: Buffer }> = [
      { path: 'notes.txt', bytes: Buffer.from('hello from a browser\n') },
      { path: 'album/one.bin', bytes: Buffer.alloc(7 * MiB, 7) },
      { path: 'album/deeper/two.bin', bytes: Buffer.from('two') },
    ];
    for (const file of files) {
      const query = new URLSearchParams({ destination: storeUrl, batch, path: file.path, size: String(file.bytes.length) });
      const staged = await ok<{ stagedPath: string }>(
        send(host.port, 'PUT', `/api/stage?${query.toString()}`, { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/octet-stream' }, file.bytes),
      );
      expect(staged.stagedPath).toBe(join(home, 'staging', batch, ...file.path.split('/')));
    }
    const stream = openEvents(host);
    try {
      await stream.snapshot;
      const { ids } = await ok<{ ids: string[] }>(command(host, 'addStaged', { batch, destination: storeUrl }));
      expect(ids).toHaveLength(3);
      await waitFor(() => stream.events.filter((event) => event.type === 'transfer.finished').length === 3, 60_000, 'three finished');
      for (const file of files) {
        expect(await storedSha256(storeUrl, file.path)).toBe(createHash('sha256').update(file.bytes).digest('hex'));
      }
      await waitFor(() => filesUnder(join(home, 'staging')).length === 0, 5_000, 'staged copies removed');
    } finally {
      stream.close();
    }
  });

  it('refuses staged paths that climb out, are absolute or hold a NUL, and a wrong size', async () => {
    for (const path of ['../escape.txt', '/etc/passwd', 'a/../../b', 'C:/x', 'a\0b', 'a//b', '']) {
      const query = new URLSearchParams({ destination: storeUrl, batch: 'bad', path, size: '1' });
      const answer = await send(host.port, 'PUT', `/api/stage?${query.toString()}`, { Authorization: `Bearer ${host.token}` }, 'x');
      expect(answer.status, path).toBe(400);
    }
    const short = new URLSearchParams({ destination: storeUrl, batch: 'bad', path: 'short.txt', size: '10' });
    expect((await send(host.port, 'PUT', `/api/stage?${short.toString()}`, { Authorization: `Bearer ${host.token}`, 'Transfer-Encoding': 'chunked' }, 'abc')).status).toBe(400);
    const noToken = new URLSearchParams({ destination: storeUrl, batch: 'bad', path: 'x.txt', size: '1' });
    expect((await send(host.port, 'PUT', `/api/stage?${noToken.toString()}`, {}, 'x')).status).toBe(401);
    expect(filesUnder(join(home, 'staging'))).toEqual([]);
    const empty = JSON.parse((await command(host, 'addStaged', { batch: 'never-staged', destination: storeUrl })).body) as unknown;
    expect(empty).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('keeps nothing of a PUT whose connection dropped half way', async () => {
    const query = new URLSearchParams({ destination: storeUrl, batch: 'dropped', path: 'big.bin', size: String(8 * MiB) });
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: host.port,
        method: 'PUT',
        path: `/api/stage?${query.toString()}`,
        headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Length': String(8 * MiB) },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(Buffer.alloc(MiB), () => setTimeout(() => req.destroy(), 200));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(filesUnder(join(home, 'staging'))).toEqual([]);
  });
});
