// S3Backend against answers no S3 test server gives: a web page where S3 should be, a 200 that
// carries an <Error>, a port nobody listens on, and a machine without credentials.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { S3Backend } from '../../core/backends/index.js';
import { TierdropError, isTierdropError } from '../../core/errors/index.js';

const CREDENTIALS = { accessKeyId: 'transport-test', secretAccessKey: 'transport-test-secret' };

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

// What each test started, closed after it.
const servers: Server[] = [];
const backends: S3Backend[] = [];

afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.dispose();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

describe('S3Backend transport failures', () => {
  async function serve(answer: Answer): Promise<string> {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => answer(request, response));
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${portOf(server)}`;
  }

  function backendAt(endpoint: string, credentials: typeof CREDENTIALS | 'environment' = CREDENTIALS): S3Backend {
    const backend = new S3Backend({ bucket: 'bucket', endpoint, checksum: 'none', ...(credentials === 'environment' ? {} : { credentials }) });
    backends.push(backend);
    return backend;
  }

  it('a web page where S3 should be is "not S3", retryable', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Welcome to the captive portal</body></html>');
    });
    const backend = backendAt(endpoint);
    const listing = await failureOf(drain(backend.list('photos/')));
    expect(listing).toMatchObject({ code: 'store_error', retryable: true });
    expect(listing.message).toContain('the store answered something that is not S3');
    expect(listing.message).toContain('photos/');
    const put = await failureOf(backend.put('photos/a.jpg', Buffer.from('x'), { contentLength: 1 }));
    expect(put.message).toContain('Cannot upload "photos/a.jpg"');
    expect(put.message).toContain('not S3');
  });

  it('an error page with a 5xx is "not S3", retryable', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html>Bad gateway</html>');
    });
    const failure = await failureOf(backendAt(endpoint).head('a'));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure.message).toContain('not S3');
  });

  it('a 200 answer with an <Error> body on complete is returned, not thrown', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>',
      );
    });
    const failure = await backendAt(endpoint).complete('big.bin', 'upload-1', [{ partNo: 1, etag: '"abc"', sizeBytes: 1, checksum: null }]);
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure?.message).toContain('complete the upload of "big.bin"');
  });

  it('an InvalidPart in a 200 answer is not retryable', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end('<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>');
    });
    const failure = await backendAt(endpoint).complete('big.bin', 'upload-1', [{ partNo: 1, etag: '"abc"', sizeBytes: 1, checksum: null }]);
    expect(failure).toMatchObject({ code: 'invalid_input', retryable: false });
  });

  it('a closed port is unreachable at once, naming the endpoint', async () => {
    const endpoint = await closedPort();
    const startedMs = Date.now();
    const failure = await failureOf(backendAt(endpoint).put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(failure).toMatchObject({ code: 'unreachable', retryable: true });
    expect(failure.message).toContain(endpoint);
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });

  it('a connection cut mid-answer is a retryable store error', async () => {
    const endpoint = await serve((request) => request.socket.destroy());
    const failure = await failureOf(backendAt(endpoint).head('a'));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
  });

  it('a download cut mid-body fails its reader with a retryable store error naming the object', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100000', etag: '"e"', 'last-modified': new Date().toUTCString() });
      response.write(Buffer.alloc(1000));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    const object = await backendAt(endpoint).get('photos/cut.jpg');
    if (object === null) throw new Error('expected an answer');
    const failure = await failureOf(drain(object.body));
    expect(failure).toMatchObject({ code: 'store_error', retryable: true });
    expect(failure.message).toContain('Cannot download "photos/cut.jpg"');
  });

  it('no credentials anywhere fails fast with what to set', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(500);
      response.end();
    });
    const saved = { ...process.env };
    try {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/tierdrop/credentials';
      process.env['AWS_CONFIG_FILE'] = '/nonexistent/tierdrop/config';
      const startedMs = Date.now();
      const failure = await failureOf(backendAt(endpoint, 'environment').head('a'));
      expect(failure).toMatchObject({ code: 'invalid_credentials', retryable: false });
      expect(failure.message).toContain('Cannot look up "a"');
      expect(failure.hint).toContain('AWS_ACCESS_KEY_ID');
      expect(Date.now() - startedMs).toBeLessThan(2_000);
    } finally {
      process.env = saved;
    }
  });

  it('credentials come from the environment when none are given', async () => {
    const seen: string[] = [];
    const endpoint = await serve((request, response) => {
      seen.push(request.headers.authorization ?? '');
      response.writeHead(404, { 'content-type': 'application/xml' });
      response.end('<Error><Code>NoSuchKey</Code><Message>none</Message></Error>');
    });
    const saved = { ...process.env };
    try {
      process.env['AWS_ACCESS_KEY_ID'] = 'FROM-ENVIRONMENT';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
      expect(await backendAt(endpoint, 'environment').get('a')).toBeNull();
      expect(seen[0]).toContain('Credential=FROM-ENVIRONMENT/');
    } finally {
      process.env = saved;
    }
  });
});

describe('S3Backend small PUTs (sent without the SDK, lean-put.ts)', () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: Buffer;
  }

  async function serve(answer: (seen: Seen, response: ServerResponse) => void): Promise<{ endpoint: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const one = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
        seen.push(one);
        answer(one, response);
      });
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { endpoint: `http://127.0.0.1:${portOf(server)}`, seen };
  }

  function backendAt(endpoint: string, checksum: 'crc32' | 'none' = 'crc32'): S3Backend {
    const backend = new S3Backend({ bucket: 'bucket', endpoint, checksum, credentials: CREDENTIALS });
    backends.push(backend);
    return backend;
  }

  function answerXml(status: number, code: string, message: string): (seen: Seen, response: ServerResponse) => void {
    return (_seen, response) => {
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r-1</RequestId></Error>`);
    };
  }

  it('sends the key escaped once, the body signed by its sha256, its CRC32, and the conditions asked for', async () => {
    const { endpoint, seen } = await serve((_seen, response) => {
      response.writeHead(200, { etag: '"e-1"' });
      response.end();
    });
    const body = Buffer.from('café au lait');
    const backend = backendAt(endpoint);
    const key = "photos/été 2026/a+b (1)*!'.txt";
    expect(await backend.put(key, body, { contentLength: body.length, contentType: 'text/plain', metadata: { origin: 'tierdrop' } })).toEqual({ etag: '"e-1"' });
    expect(await backend.compareAndWrite('tombstones/k', null, body)).toBe('written');
    expect(await backend.compareAndWrite('tombstones/k', '"e-1"', body)).toBe('written');

    const [put, create, replace] = seen;
    expect(put?.method).toBe('PUT');
    expect(put?.url).toBe('/bucket/photos/%C3%A9t%C3%A9%202026/a%2Bb%20%281%29%2A%21%27.txt');
    expect(put?.body.equals(body)).toBe(true);
    expect(put?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    expect(put?.headers['x-amz-checksum-crc32']).toBe(crc.toString('base64'));
    expect(put?.headers['content-type']).toBe('text/plain');
    expect(put?.headers['x-amz-meta-origin']).toBe('tierdrop');
    expect(put?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=transport-test\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[^,]*content-length[^,]*x-amz-content-sha256/);
    expect(create?.headers['if-none-match']).toBe('*');
    expect(create?.headers['if-match']).toBeUndefined();
    expect(replace?.headers['if-match']).toBe('"e-1"');
  });

  it('sends no checksum header to a store that cannot read checksums', async () => {
    const { endpoint, seen } = await serve((_seen, response) => {
      response.writeHead(200, { etag: '"e-2"' });
      response.end();
    });
    await backendAt(endpoint, 'none').put('a', Buffer.from('x'), { contentLength: 1 });
    expect(seen[0]?.headers['x-amz-checksum-crc32']).toBeUndefined();
  });

  it("reads S3's error answers as the SDK's path does: busy is retryable, denied and missing bucket are not", async () => {
    const busy = await failureOf(backendAt((await serve(answerXml(503, 'SlowDown', 'Please reduce your request rate.'))).endpoint).put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(busy).toMatchObject({ code: 'store_error', retryable: true });
    expect(busy.message).toContain('Cannot upload "a" in s3://bucket');
    expect(busy.message).toContain('SlowDown: Please reduce your request rate.');

    const denied = await failureOf(backendAt((await serve(answerXml(403, 'AccessDenied', 'Access Denied'))).endpoint).put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(denied).toMatchObject({ code: 'access_denied', retryable: false });

    const noBucket = await failureOf(backendAt((await serve(answerXml(404, 'NoSuchBucket', 'The specified bucket does not exist'))).endpoint).compareAndWrite('k', null, Buffer.from('x')));
    expect(noBucket).toMatchObject({ code: 'not_found', retryable: false });
    expect(noBucket.message).toContain('bucket bucket does not exist');
  });

  it('a refused condition is a conflict unless the store already holds exactly this value', async () => {
    let held = Buffer.from('someone else');
    const { endpoint } = await serve((seen, response) => {
      if (seen.method === 'PUT') {
        answerXml(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')(seen, response);
        return;
      }
      response.writeHead(200, { etag: '"e-3"', 'content-length': String(held.length), 'last-modified': new Date().toUTCString() });
      response.end(held);
    });
    const backend = backendAt(endpoint, 'none');
    expect(await backend.compareAndWrite('k', null, Buffer.from('mine'))).toBe('conflict');
    held = Buffer.from('mine');
    expect(await backend.compareAndWrite('k', null, Buffer.from('mine'))).toBe('written');
  });

  it('an HTML error page, a cut connection and a silent store are retryable store errors', async () => {
    const page = await failureOf(
      backendAt(
        (
          await serve((_seen, response) => {
            response.writeHead(502, { 'content-type': 'text/html' });
            response.end('<html>Bad gateway</html>');
          })
        ).endpoint,
      ).put('a', Buffer.from('x'), { contentLength: 1 }),
    );
    expect(page).toMatchObject({ code: 'store_error', retryable: true });
    expect(page.message).toContain('not S3');

    const cut = await failureOf(backendAt((await serve((seen, response) => response.socket?.destroy())).endpoint).put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(cut).toMatchObject({ code: 'store_error', retryable: true });

    const silent = new S3Backend({ bucket: 'bucket', endpoint: (await serve(() => undefined)).endpoint, checksum: 'none', credentials: CREDENTIALS, requestTimeoutMs: 300 });
    backends.push(silent);
    const timedOut = await failureOf(silent.put('a', Buffer.from('x'), { contentLength: 1 }));
    expect(timedOut).toMatchObject({ code: 'store_error', retryable: true });
    expect(timedOut.message).toContain('did not answer in time');
  });

  it('an aborted small PUT reports the caller\'s reason', async () => {
    const { endpoint } = await serve(() => undefined);
    const controller = new AbortController();
    const put = failureOf(backendAt(endpoint).put('a', Buffer.from('x'), { contentLength: 1, signal: controller.signal }));
    setTimeout(() => controller.abort(new TierdropError('stalled', 'no progress for 30 s', { retryable: true })), 100);
    expect(await put).toMatchObject({ code: 'stalled', retryable: true });
  });
});

async function failureOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isTierdropError(error)) throw new Error(`expected a TierdropError, got ${String(error)}`);
  return error;
}

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const _item of items) {
    // reading is the point
  }
}

function portOf(server: Server): number {
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return address.port;
}

/** A local port that was free a moment ago and is closed now. */
async function closedPort(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${portOf(server)}`;
  server.close();
  await once(server, 'close');
  return endpoint;
}
