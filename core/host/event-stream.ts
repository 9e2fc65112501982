// Server-Sent Events to every open window: a snapshot first, then each core event as it happens,
// and a comment now and then so proxies and the browser keep the connection open.
import type { ServerResponse } from 'node:http';
import type { Snapshot, TierdropEvent } from '../contract/index.js';
import { securityHeaders } from './respond.js';

export const HEARTBEAT_INTERVAL_MS = 15_000; // well under the idle timeouts of browsers and proxies
const RECONNECT_DELAY_MS = 1_000; // what EventSource waits before reconnecting on its own

export class EventStreams {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS) {
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Opens a stream; the snapshot is taken synchronously, so no event can fall between it and the live feed. */
  open(response: ServerResponse, snapshot: () => Snapshot): void {
    response.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_DELAY_MS}\n`);
    response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
  }

  publish(event: TierdropEvent): void {
    if (this.clients.size === 0) return;
    this.writeAll(`data: ${JSON.stringify(event)}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private writeAll(text: string): void {
    for (const client of this.clients) client.write(text);
  }
}
