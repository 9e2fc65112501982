// The admin surface under /__admin/, so a test can steer a server running in another process:
// GET stats, POST faults (a JSON S3Faults, validated), POST reset-stats. No auth: loopback only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3FaultsSchema, type FaultPlan } from './faults.js';
import type { StatsRecorder } from './stats.js';

export const ADMIN_PREFIX = '/__admin/';
const MAX_ADMIN_BODY_BYTES = 64 * 1024; // a fault plan is a few lines of JSON

export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  services: { stats: StatsRecorder; faults: FaultPlan },
): Promise<void> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const route = `${req.method ?? 'GET'} ${path.slice(ADMIN_PREFIX.length)}`;
  switch (route) {
    case 'GET stats':
      sendJson(res, 200, services.stats.snapshot());
      return;
    case 'POST reset-stats':
      await readText(req);
      services.stats.reset();
      sendJson(res, 200, { ok: true });
      return;
    case 'POST faults': {
      let json: unknown;
      try {
        json = JSON.parse(await readText(req));
      } catch (error) {
        sendJson(res, 400, { ok: false, error: `expected a JSON S3Faults body: ${String(error)}` });
        return;
      }
      const parsed = S3FaultsSchema.safeParse(json);
      if (!parsed.success) {
        sendJson(res, 400, { ok: false, error: parsed.error.message });
        return;
      }
      services.faults.set(parsed.data);
      sendJson(res, 200, { ok: true });
      return;
    }
    default:
      await readText(req).catch(() => '');
      sendJson(res, 404, { ok: false, error: `no admin route ${route}` });
  }
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
