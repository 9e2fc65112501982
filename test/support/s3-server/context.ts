// What a handler gets for one request (the route, who signed it, its fault, the server's services)
// and the small helpers every handler uses to receive a body and to answer.
import { createWriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyPlan } from './body-plan.js';
import { receiveBody, type BodyHooks, type ReceivedBody } from './body.js';
import type { FaultDecision, FaultPlan } from './faults.js';
import type { Route } from './router.js';
import type { Authentication } from './sigv4.js';
import type { StatsRecorder } from './stats.js';
import type { Store } from './storage.js';
import { removeQuietly, type ByteThrottle } from '../server-kit/index.js';
import type { UploadStore } from './uploads.js';

export interface ServerServices {
  store: Store;
  uploads: UploadStore;
  stats: StatsRecorder;
  faults: FaultPlan;
  throttle: ByteThrottle;
  /** Secret by access key id. */
  secrets: Map<string, string>;
  minPartBytes: number;
  idleTimeoutMs: number;
  endpoint: () => string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  route: Route;
  auth: Authentication;
  fault: FaultDecision;
  services: ServerServices;
}

const WRITE_BUFFER_BYTES = 1024 * 1024; // fewer, larger writes: uploads stay bounded by the disk

/** Hooks for receiveBody with this server's throttle and timeout. */
export function bodyHooks(ctx: RequestContext, extra: Partial<BodyHooks> = {}): BodyHooks {
  return { throttle: ctx.services.throttle, idleTimeoutMs: ctx.services.idleTimeoutMs, ...extra };
}

/** Receives the body into a file; the file is removed unless the whole body arrived intact. */
export async function receiveToFile(
  ctx: RequestContext,
  plan: BodyPlan,
  path: string,
  extra: Partial<BodyHooks> = {},
): Promise<ReceivedBody> {
  try {
    const file = createWriteStream(path, { highWaterMark: WRITE_BUFFER_BYTES });
    return await receiveBody(ctx.req, plan, file, bodyHooks(ctx, extra));
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
}

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(xml, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(body.length) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  // 204 and 304 never carry a body, so they must not announce one either.
  res.writeHead(status, status === 204 || status === 304 ? headers : { ...headers, 'Content-Length': '0' });
  res.end();
}
