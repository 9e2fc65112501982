// The loopback host: one SyncService served to a browser on 127.0.0.1 with a fresh token per
// launch. It resumes the last session's uploads at start and pauses them cleanly on close.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SettingsPatch, Snapshot, TierdropEvent } from '../contract/index.js';
import { registerCredentialLookup } from '../backends/credentials.js';
import { TierdropError } from '../errors/index.js';
import { SyncService, resumeLastSession } from '../service/index.js';
import { handleApi, type ApiContext } from './api.js';
import { CredentialVault } from './credentials-vault.js';
import { EventStreams } from './event-stream.js';
import { checkSource } from './guard.js';
import { sendError, sendText } from './respond.js';
import { serveStatic } from './static-files.js';

const TOKEN_BYTES = 32; // 256 bits: not guessable, even by a page that can try for days
export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));
const LOOPBACK = '127.0.0.1';
const CLOSE_GRACE_MS = 500; // requests already being answered get this long before their sockets are cut
/**
 * How long close waits for the service to put uploads back in the queue. A request stuck on a silent
 * store may not be abortable; the journal already holds what was acknowledged, so the next start
 * resumes it exactly as after a crash, and shutting down stays prompt.
 */
export const SERVICE_STOP_GRACE_MS = 3_000;

export interface HostOptions {
  home: string;
  /** 0 or absent: any free port. */
  port?: number;
  rendererDir?: string;
  /** Settings for this run only (tests use short retry delays). */
  overrides?: SettingsPatch;
  heartbeatIntervalMs?: number;
}

export interface RunningHost {
  /** Ready to open: `http://127.0.0.1:PORT/#token=TOKEN`. */
  url: string;
  token: string;
  port: number;
  /** What to tell a person at start (a journal or settings file set aside, uploads resumed). */
  notice: string | null;
  warnings: string[];
  /**
   * Stops serving (open event streams end, stuck sockets are cut after a short grace), then puts
   * running uploads back in the queue for the next start. Resolves within a few seconds even when
   * a request hangs.
   */
  close(): Promise<void>;
  /** Resolves once the service has really stopped (after close; later than it when a request hung). */
  readonly serviceStopped: Promise<void>;
  /** Whether the service has stopped yet. */
  isServiceStopped(): boolean;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const opened = SyncService.open(options.home, options.overrides);
  const service = opened.service;
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  const streams = new EventStreams(options.heartbeatIntervalMs);
  let notice: string | null = null;
  let server: Server | null = null;
  let forgetCredentials: () => void = () => undefined;

  try {
    // Before anything resumes: uploads from the last session need the credentials entered for them.
    const credentials = CredentialVault.open(options.home, () => service.settings.destinations);
    forgetCredentials = registerCredentialLookup((location) => credentials.lookup(location));
    const unsubscribe = service.on((event: TierdropEvent) => streams.publish(event));
    const recovered = await resumeLastSession(service, opened.journalSetAsidePath);
    notice = recovered?.message ?? null;
    if (recovered) streams.publish(recovered);

    const snapshot = (): Snapshot => ({ transfers: service.engine.list(), settings: service.settings, notice });
    let port = 0;
    const handle = (request: IncomingMessage, response: ServerResponse) => {
      route(request, response, port, rendererDir, { service, token, streams, snapshot, credentials }).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, 500, 'internal', `The host failed: ${(error as Error).message}`);
        else response.destroy();
      });
    };
    const listening = createServer(handle);
    server = listening;
    port = await listen(listening, options.port ?? 0);

    let closing: Promise<void> | null = null;
    let serviceStopped = false;
    let markStopped: () => void = () => undefined;
    const stoppedPromise = new Promise<void>((resolve) => {
      markStopped = resolve;
    });
    return {
      url: `http://${LOOPBACK}:${port}/#token=${token}`,
      token,
      port,
      notice,
      warnings: credentials.warning === null ? opened.warnings : [...opened.warnings, credentials.warning],
      serviceStopped: stoppedPromise,
      isServiceStopped: () => serviceStopped,
      close: () => {
        closing ??= (async () => {
          streams.close();
          await stopServing(listening, CLOSE_GRACE_MS);
          unsubscribe();
          const disposing = service.dispose().finally(() => {
            forgetCredentials();
            serviceStopped = true;
            markStopped();
          });
          await settlesWithin(disposing, SERVICE_STOP_GRACE_MS);
        })();
        return closing;
      },
    };
  } catch (error) {
    forgetCredentials();
    streams.close();
    server?.close();
    await service.dispose();
    throw error;
  }
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  port: number,
  rendererDir: string,
  context: ApiContext,
): Promise<void> {
  const refusal = checkSource(request.headers, port);
  if (refusal) {
    sendText(response, refusal.status, refusal.message);
    return;
  }
  const url = new URL(request.url ?? '/', `http://${LOOPBACK}:${port}`);
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    await handleApi(request, response, url, context);
    return;
  }
  await serveStatic(request, response, rendererDir, url.pathname);
}

/** Refuses new connections, lets requests in flight finish for `graceMs`, then cuts what is left. */
async function stopServing(server: Server, graceMs: number): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (!(await settlesWithin(stopped, graceMs))) server.closeAllConnections();
  await stopped;
}

/** Whether `work` settled within `ms`; it keeps running either way. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = work.then(() => true);
  settled.catch(() => undefined); // a failure after the deadline has no one left to tell
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new TierdropError('conflict', `Port ${port} on ${LOOPBACK} is already in use.`, { hint: 'Choose another with --port, or leave it out to take any free port.' })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, LOOPBACK, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
