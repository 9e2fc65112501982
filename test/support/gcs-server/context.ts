// What a handler gets for one request (route, fault, the server's services) and the small helpers
// every handler answers with.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyHooks } from './body.js';
import type { FaultDecision, FaultPlan } from './faults.js';
import type { Route } from './router.js';
import type { SessionStore } from './sessions.js';
import type { StatsRecorder } from './stats.js';
import type { Store } from './storage.js';
import type { ByteThrottle } from '../server-kit/index.js';

export interface ServerServices {
  store: Store;
  sessions: SessionStore;
  stats: StatsRecorder;
  faults: FaultPlan;
  throttle: ByteThrottle;
  idleTimeoutMs: number;
  endpoint: () => string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  fault: FaultDecision;
  services: ServerServices;
}

/** Body hooks for an upload: this server's throttle and timeout, counting bytes as upload bytes. */
export function uploadHooks(ctx: RequestContext, extra: Partial<BodyHooks> = {}): BodyHooks {
  const { stats } = ctx.services;
  return { throttle: ctx.services.throttle, idleTimeoutMs: ctx.services.idleTimeoutMs, onBytes: (bytes) => stats.uploadBytesArrived(bytes), ...extra };
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': String(body.length) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, status === 204 || status === 304 ? headers : { ...headers, 'Content-Length': '0' });
  res.end();
}
