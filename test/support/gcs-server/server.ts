// The GCS JSON-API test server: one pass per request (admin surface, route, count, faults,
// handler), start-up over a data folder, and a close that leaves no socket and no request behind.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_PREFIX, ByteThrottle, discardSink, drainRequest, handleAdmin, listenOnLoopback, streamBody } from '../server-kit/index.js';
import { intakeOptions } from './body.js';
import type { RequestContext, ServerServices } from './context.js';
import { ConnectionGone, GcsError, sendError } from './errors.js';
import { DEFAULT_SEED, FaultPlan, GcsFaultsSchema, type GcsFaults } from './faults.js';
import { getBucket, insertBucket } from './handlers/buckets.js';
import { insertObject } from './handlers/insert.js';
import { listBuckets, listObjects } from './handlers/list.js';
import { composeObject, deleteObject, getObject, patchObject } from './handlers/objects.js';
import { routeRequest, type Operation, type Route } from './router.js';
import { SessionStore } from './sessions.js';
import { StatsRecorder, type GcsServerStats } from './stats.js';
import { Store } from './storage.js';

export interface GcsTestServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  dataDir: string;
  /** Created at start if missing. */
  buckets?: string[];
  faults?: GcsFaults;
  /** Seeds the PRNG behind every random fault. */
  seed?: number;
  /** An upload body that sends nothing for this long is answered 408. */
  requestTimeoutMs?: number;
}

export interface GcsTestServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  dataDir: string;
  stats(): GcsServerStats;
  resetStats(): void;
  setFaults(faults: GcsFaults): void;
  createBucket(name: string): Promise<void>;
  /** Closes the server and destroys open sockets. */
  close(): Promise<void>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 20_000; // a silent client is given up on well before GCS would

type Handler = (ctx: RequestContext) => Promise<void>;

const HANDLERS: Record<Operation, Handler> = {
  'buckets.list': listBuckets,
  'buckets.insert': insertBucket,
  'buckets.get': getBucket,
  'objects.list': listObjects,
  'objects.get': getObject,
  'objects.patch': patchObject,
  'objects.delete': deleteObject,
  'objects.compose': composeObject,
  'objects.rewrite': async () => {
    throw new GcsError(501, 'notImplemented', 'objects.rewrite is not implemented by this test server.');
  },
  'objects.insert': insertObject,
};

export async function startGcsTestServer(options: GcsTestServerOptions): Promise<GcsTestServer> {
  const store = await Store.open(options.dataDir);
  for (const bucket of options.buckets ?? []) await store.createBucket(bucket, { existingOk: true });
  const faults = new FaultPlan(options.faults ?? {}, options.seed ?? DEFAULT_SEED);
  let port = 0;
  const services: ServerServices = {
    store,
    sessions: await SessionStore.open(options.dataDir),
    stats: new StatsRecorder(),
    faults,
    throttle: new ByteThrottle(() => faults.throttleBytesPerSec),
    idleTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    endpoint: () => `http://127.0.0.1:${port}`,
  };
  const createBucket = async (name: string): Promise<void> => {
    await store.createBucket(name, { existingOk: true });
  };

  const listening = await listenOnLoopback({
    name: 'gcs-server',
    ...(options.port === undefined ? {} : { port: options.port }),
    handle: (req, res) => handle(services, createBucket, req, res),
  });
  port = listening.port;

  return {
    endpoint: services.endpoint(),
    port,
    dataDir: options.dataDir,
    stats: () => services.stats.snapshot(),
    resetStats: () => services.stats.reset(),
    setFaults: (next) => faults.set(next),
    createBucket,
    close: () => listening.close(),
  };
}

async function handle(services: ServerServices, createBucket: (name: string) => Promise<void>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Server', 'TierdropGcsTest');
  const url = req.url ?? '/';
  if (url.startsWith(ADMIN_PREFIX)) {
    const surface = {
      stats: services.stats,
      faultsSchema: GcsFaultsSchema,
      setFaults: (next: GcsFaults) => services.faults.set(next),
      extraRoute: async (route: string) => {
        const bucket = /^POST buckets\/([^/]+)$/.exec(route)?.[1];
        if (bucket === undefined) return false;
        await createBucket(decodeURIComponent(bucket));
        return true;
      },
    };
    await handleAdmin(req, res, surface).catch((error: unknown) =>
      answer(req, res, error, services.idleTimeoutMs),
    );
    return;
  }
  let route: Route;
  try {
    route = routeRequest(req.method ?? 'GET', url);
  } catch (error) {
    services.stats.countRequest('invalid');
    await answer(req, res, error, services.idleTimeoutMs);
    return;
  }
  services.stats.countRequest(route.operation);
  const fault = services.faults.decide(route.operation);
  try {
    if (services.faults.latencyMs > 0) await sleep(services.faults.latencyMs);
    if (fault.kind === 'deny') {
      throw fault.status === 401
        ? new GcsError(401, 'authError', 'Invalid Credentials')
        : new GcsError(403, 'forbidden', `The caller does not have permission to run ${route.operation} on bucket ${route.bucket}.`);
    }
    if (fault.kind === 'reset') {
      await resetMidBody(services, req, fault.fraction);
      return;
    }
    if (fault.kind === 'error') {
      await drainRequest(req, services.idleTimeoutMs);
      throw new GcsError(503, 'backendError', 'Backend Error (fault injection).');
    }
    await HANDLERS[route.operation]({ req, res, route, fault, services });
  } catch (error) {
    await answer(req, res, error, services.idleTimeoutMs);
  }
}

/** Reads `fraction` of the body (at least a byte, counting it as upload bytes), then cuts the connection. */
async function resetMidBody(services: ServerServices, req: IncomingMessage, fraction: number): Promise<void> {
  const declaredBytes = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declaredBytes) && declaredBytes > 0) {
    const hooks = { throttle: services.throttle, idleTimeoutMs: services.idleTimeoutMs, cutAfterBytes: Math.max(1, Math.floor(declaredBytes * fraction)) };
    await streamBody(req, intakeOptions(hooks), [discardSink((bytes) => services.stats.uploadBytesArrived(bytes))]).catch(() => undefined);
  }
  req.socket.destroy();
}

async function answer(req: IncomingMessage, res: ServerResponse, error: unknown, idleTimeoutMs: number): Promise<void> {
  if (error instanceof ConnectionGone) {
    res.destroy();
    return;
  }
  const gcsError =
    error instanceof GcsError ? error : new GcsError(500, 'internalError', `Internal error: ${error instanceof Error ? error.message : String(error)}`);
  if (gcsError.status === 304) {
    await drainRequest(req, idleTimeoutMs);
    res.writeHead(304);
    res.end();
    return;
  }
  // Answering before the body is read would make a client still sending see EPIPE, not the error.
  if (!gcsError.closeConnection) await drainRequest(req, idleTimeoutMs);
  sendError(res, gcsError);
}

