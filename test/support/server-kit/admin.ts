// The admin surface under /__admin/, so a test can steer a server running in another process:
// GET stats, POST reset-stats, POST faults (a JSON fault plan, validated), and a server's own
// routes. Loopback only, so there is no auth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export const ADMIN_PREFIX = '/__admin/';
const MAX_ADMIN_BODY_BYTES = 64 * 1024; // a fault plan is a few lines of JSON

export interface AdminSurface<Faults> {
  stats: { snapshot(): unknown; reset(): void };
  faultsSchema: z.ZodType<Faults>;
  setFaults(faults: Faults): void;
  /** A route beyond the shared ones ('POST buckets/NAME'); answers false when it is not one. */
  extraRoute?: (route: string) => Promise<boolean>;
}

export async function handleAdmin<Faults>(req: IncomingMessage, res: ServerResponse, surface: AdminSurface<Faults>): Promise<void> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const route = `${req.method ?? 'GET'} ${path.slice(ADMIN_PREFIX.length)}`;
  const text = await readText(req);
  if (route === 'GET stats') {
    sendJson(res, 200, surface.stats.snapshot());
    return;
  }
  if (route === 'POST reset-stats') {
    surface.stats.reset();
    sendJson(res, 200, { ok: true });
    return;
  }
  if (route === 'POST faults') {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      sendJson(res, 400, { ok: false, error: `expected a JSON fault plan: ${String(error)}` });
      return;
    }
    const parsed = surface.faultsSchema.safeParse(json);
    if (!parsed.success) {
      sendJson(res, 400, { ok: false, error: parsed.error.message });
      return;
    }
    surface.setFaults(parsed.data);
    sendJson(res, 200, { ok: true });
    return;
  }
  if (surface.extraRoute !== undefined && (await surface.extraRoute(route))) {
    sendJson(res, 200, { ok: true });
    return;
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
