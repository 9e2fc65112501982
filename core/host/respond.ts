// Writing answers: every response carries the same security headers, and never a CORS header,
// so no other origin may read what the host says.
import type { ServerResponse } from 'node:http';
import type { ErrorCode, Result } from '../contract/index.js';

export const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'";

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...securityHeaders(),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

export function sendEnvelope(response: ServerResponse, status: number, result: Result<unknown>): void {
  sendJson(response, status, result);
}

export function sendError(response: ServerResponse, status: number, code: ErrorCode, message: string, hint?: string): void {
  sendEnvelope(response, status, { ok: false, error: { code, message, retryable: false, ...(hint === undefined ? {} : { hint }) } });
}

export function sendText(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, {
    ...securityHeaders(),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...extra,
  });
  response.end(text);
}
