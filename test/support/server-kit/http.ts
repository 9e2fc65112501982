// The HTTP scaffolding both test servers stand on: listen on loopback, keep every socket and every
// request in hand, and close leaving no socket open and no handler still writing to the data folder.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const KEEP_ALIVE_TIMEOUT_MS = 65_000; // longer than SDK idle sockets live, so reuse never races a close

export interface HttpServerOptions {
  /** Names the server in its error output: 's3-server'. */
  name: string;
  /** 0 or absent picks a free port. */
  port?: number;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** A request Node could not parse; the default destroys the socket. */
  onClientError?: (error: Error & { code?: string }, socket: Duplex) => void;
}

export interface ListeningServer {
  port: number;
  /** Closes the server, destroys open sockets and waits for the handlers they cut short. */
  close(): Promise<void>;
}

export async function listenOnLoopback(options: HttpServerOptions): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handling = options.handle(req, res).catch((error: unknown) => {
      // A bug in answering must not take the test process down with it.
      process.stderr.write(`${options.name}: failed to answer ${req.method ?? ''} ${req.url ?? ''}: ${String(error)}\n`);
      res.destroy();
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  const onClientError = options.onClientError;
  if (onClientError !== undefined) server.on('clientError', onClientError);
  server.requestTimeout = 0; // slow (throttled) bodies are the point; each server has its own idle timeout
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`the ${options.name} is not listening on TCP`);

  let closing: Promise<void> | null = null;
  return {
    port: address.port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        // Handlers cut off mid-request still remove their temp files; let them, so the caller can
        // delete the data folder without racing a write.
        await Promise.allSettled([...inFlight]);
      })();
      return closing;
    },
  };
}
