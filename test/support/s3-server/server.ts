// The HTTP server: one pass per request (admin surface, route, count, faults, auth, handler), start-up
// over a data folder, and a close that leaves no socket and no request behind.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_PREFIX, ByteThrottle, discardSink, handleAdmin, listenOnLoopback } from '../server-kit/index.js';
import { answerClientError, answerError, newRequestId } from './answer-error.js';
import { planBody } from './body-plan.js';
import { receiveBody } from './body.js';
import { bodyHooks, type RequestContext, type ServerServices } from './context.js';
import { ConnectionGone, S3Error } from './errors.js';
import { DEFAULT_SEED, FaultPlan, S3FaultsSchema, type S3Faults } from './faults.js';
import {
  createBucket,
  deleteBucket,
  headBucket,
  listBuckets,
  methodNotAllowed,
  notImplemented,
} from './handlers/buckets.js';
import { listMultipartUploads, listObjects, listObjectsV2 } from './handlers/list.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  uploadPart,
} from './handlers/multipart.js';
import { deleteObject, deleteObjects, getObject, headObject, putObject } from './handlers/objects.js';
import { routeRequest, type Operation, type Route } from './router.js';
import { authenticate, type S3Credentials } from './sigv4.js';
import { StatsRecorder, type S3ServerStats } from './stats.js';
import { Store } from './storage.js';
import { UploadStore } from './uploads.js';

export interface S3TestServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  dataDir: string;
  faults?: S3Faults;
  /** Default: one pair, `tierdrop-test` / `tierdrop-test-secret`. */
  credentials?: S3Credentials[];
  /** Created at start if missing. */
  buckets?: string[];
  /** Seeds the PRNG behind every random fault. */
  seed?: number;
  /** Smallest allowed size of every part but the last; S3's is 5 MiB, tests lower it. */
  minPartBytes?: number;
  /** A request body that sends nothing for this long is answered 400 RequestTimeout. */
  requestTimeoutMs?: number;
}

export interface S3TestServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  dataDir: string;
  stats(): S3ServerStats;
  resetStats(): void;
  setFaults(faults: S3Faults): void;
  createBucket(name: string): Promise<void>;
  /** Closes the server and destroys open sockets. */
  close(): Promise<void>;
}

export const DEFAULT_CREDENTIALS: S3Credentials = { accessKeyId: 'tierdrop-test', secretAccessKey: 'tierdrop-test-secret' };
const DEFAULT_MIN_PART_BYTES = 5 * 1024 * 1024; // S3's minimum for every part but the last
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000; // about when S3 gives up on a silent client
const OPERATIONS_WITH_BODY = new Set<Operation>([
  'PutObject',
  'UploadPart',
  'CompleteMultipartUpload',
  'DeleteObjects',
  'CreateBucket',
]);

type Handler = (ctx: RequestContext) => Promise<void>;

const HANDLERS: Record<Operation, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  ListObjectsV2: listObjectsV2,
  ListObjects: listObjects,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  ListParts: listParts,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  CopyObject: notImplemented,
  UploadPartCopy: notImplemented,
  Unsupported: notImplemented,
  MethodNotAllowed: methodNotAllowed,
};

export async function startS3TestServer(options: S3TestServerOptions): Promise<S3TestServer> {
  const store = await Store.open(options.dataDir);
  for (const bucket of options.buckets ?? []) await store.createBucket(bucket, { existingOk: true });
  const uploads = await UploadStore.open(store);
  const faults = new FaultPlan(options.faults ?? {}, options.seed ?? DEFAULT_SEED);
  let port = 0;
  const services: ServerServices = {
    store,
    uploads,
    stats: new StatsRecorder(),
    faults,
    throttle: new ByteThrottle(() => faults.throttleBytesPerSec),
    secrets: new Map((options.credentials ?? [DEFAULT_CREDENTIALS]).map((pair) => [pair.accessKeyId, pair.secretAccessKey])),
    minPartBytes: options.minPartBytes ?? DEFAULT_MIN_PART_BYTES,
    idleTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    endpoint: () => `http://127.0.0.1:${port}`,
  };

  const answering = new WeakMap<Duplex, ServerResponse>();
  const listening = await listenOnLoopback({
    name: 's3-server',
    ...(options.port === undefined ? {} : { port: options.port }),
    handle: (req, res) => {
      answering.set(req.socket, res);
      return handle(services, req, res);
    },
    onClientError: (error, socket) => answerClientError(error, socket, answering.get(socket)),
  });
  port = listening.port;

  return {
    endpoint: services.endpoint(),
    port,
    dataDir: options.dataDir,
    stats: () => services.stats.snapshot(),
    resetStats: () => services.stats.reset(),
    setFaults: (next) => faults.set(next),
    createBucket: (name) => store.createBucket(name, { existingOk: true }),
    close: () => listening.close(),
  };
}

async function handle(services: ServerServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
  res.setHeader('Server', 'TierdropS3Test');
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';

  if (url.startsWith(ADMIN_PREFIX)) {
    const surface = { stats: services.stats, faultsSchema: S3FaultsSchema, setFaults: (next: S3Faults) => services.faults.set(next) };
    await handleAdmin(req, res, surface).catch((error: unknown) =>
      answerError(req, res, error, url, requestId, services.idleTimeoutMs),
    );
    return;
  }

  let route: Route;
  try {
    route = routeRequest(method, url, req.headers);
  } catch (error) {
    services.stats.countRequest('Invalid');
    await answerError(req, res, error, url, requestId, services.idleTimeoutMs);
    return;
  }
  services.stats.countRequest(route.operation);
  const fault = services.faults.decide(route.operation);
  try {
    if (services.faults.latencyMs > 0) await sleep(services.faults.latencyMs);
    if (fault.kind === 'unsupported') {
      throw new S3Error('NotImplemented', `${route.operation} is not supported by this store (fault injection).`);
    }
    const auth = authenticate({ method, url, rawHeaders: req.rawHeaders }, (id) => services.secrets.get(id), Date.now());
    const ctx: RequestContext = { req, res, requestId, route, auth, fault, services };
    if (fault.kind === 'reset' && route.operation !== 'GetObject') {
      await resetMidBody(ctx, fault.fraction);
      return;
    }
    if (fault.kind === 'error') {
      await readBodyForFault(ctx, {});
      throw new S3Error('InternalError');
    }
    if (fault.kind === 'dropAnswer') dropAnswer(ctx);
    await HANDLERS[route.operation](ctx);
  } catch (error) {
    await answerError(req, res, error, route.resource, requestId, services.idleTimeoutMs);
  }
}

/** The handler runs to the end, but where it would answer, the connection is cut instead. */
function dropAnswer(ctx: RequestContext): void {
  const socket = ctx.req.socket;
  const cut = (): ServerResponse => {
    socket.destroy();
    return ctx.res;
  };
  ctx.res.writeHead = cut as ServerResponse['writeHead'];
  ctx.res.end = cut as ServerResponse['end'];
}

/** Reads `fraction` of the body (at least a byte), then cuts the connection; bodiless requests are cut at once. */
async function resetMidBody(ctx: RequestContext, fraction: number): Promise<void> {
  if (OPERATIONS_WITH_BODY.has(ctx.route.operation)) {
    const declaredBytes = Number(ctx.req.headers['content-length'] ?? ctx.req.headers['x-amz-decoded-content-length'] ?? 0);
    if (Number.isFinite(declaredBytes) && declaredBytes > 0) {
      await readBodyForFault(ctx, { cutAfterBytes: Math.max(1, Math.floor(declaredBytes * fraction)) });
    }
  }
  ctx.req.socket.destroy();
}

/** A failing request still reads its body like a real one (and counts its bytes), then fails. */
async function readBodyForFault(ctx: RequestContext, extra: { cutAfterBytes?: number }): Promise<void> {
  if (!OPERATIONS_WITH_BODY.has(ctx.route.operation)) return;
  const { stats } = ctx.services;
  const counter =
    ctx.route.operation === 'UploadPart'
      ? (bytes: number) => stats.partBytesArrived(bytes)
      : ctx.route.operation === 'PutObject'
        ? (bytes: number) => stats.objectBytesArrived(bytes)
        : undefined;
  try {
    const plan = planBody(ctx.req.headers, ctx.auth, Number.MAX_SAFE_INTEGER);
    const hooks = bodyHooks(ctx, { ...extra, ...(counter === undefined ? {} : { onBytes: counter }) });
    if (ctx.route.operation === 'UploadPart') stats.partStarted();
    try {
      await receiveBody(ctx.req, plan, discardSink(), hooks);
    } finally {
      if (ctx.route.operation === 'UploadPart') stats.partEnded();
    }
  } catch (error) {
    if (error instanceof ConnectionGone) throw error;
    // Whatever else was wrong with the body, the injected fault is the answer.
  }
}
