// The admin surface under /__admin/, so a test can steer a server in another process: GET stats,
// POST faults (a JSON GcsFaults, validated), POST reset-stats, POST buckets/NAME. Loopback, no auth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GcsFaultsSchema, type FaultPlan } from './faults.js';
import type { StatsRecorder } from './stats.js';

export const ADMIN_PREFIX = '/__admin/';
const MAX_ADMIN_BODY_BYTES = 64 * 1024; // a fault plan is a few lines of JSON

export interface AdminServices {
  stats: StatsRecorder;
  faults: FaultPlan;
  createBucket: (name: string) => Promise<void>;
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, services: AdminServices): Promise<void> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const route = `${req.method ?? 'GET'} ${path.slice(ADMIN_PREFIX.length)}`;
  const text = await readText(req);
  if (route === 'GET stats') return sendJson(res, 200, services.stats.snapshot());
  if (route === 'POST reset-stats') {
    services.stats.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'POST faults') {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return sendJson(res, 400, { ok: false, error: `expected a JSON GcsFaults body: ${String(error)}` });
    }
    const parsed = GcsFaultsSchema.safeParse(json);
    if (!parsed.success) return sendJson(res, 400, { ok: false, error: parsed.error.message });
    services.faults.set(parsed.data);
    return sendJson(res, 200, { ok: true });
  }
  const bucket = /^POST buckets\/([^/]+)$/.exec(route)?.[1];
  if (bucket !== undefined) {
    await services.createBucket(decodeURIComponent(bucket));
    return sendJson(res, 200, { ok: true });
  }
  sendJson(res, 404, { ok: false, error: `no admin route ${route}` });
}

async function readText(req: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += piece.length;
    if (bytes > MAX_ADMIN_BODY_BYTES) throw new Error('admin request body too large');
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  res.end(body);
}
