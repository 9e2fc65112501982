// S3Backend against answers no S3 test server gives: a web page where S3 should be, a 200 that
// carries an <Error>, a port nobody listens on, and a machine without credentials.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { S3Backend } from '../../core/backends/index.js';
import { isTierdropError } from '../../core/errors/index.js';

const CREDENTIALS = { accessKeyId: 'transport-test', secretAccessKey: 'transport-test-secret' };

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

describe('S3Backend transport failures', () => {
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

  async function failureOf(promise: Promise<unknown>) {
    const error = await promise.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    if (!isTierdropError(error)) throw new Error(`expected a TierdropError, got ${String(error)}`);
    return error;
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
