// Who may talk to the loopback host: only a page served by this host, on this port, holding this
// launch's token. Host is checked against DNS rebinding, Origin against other sites' pages.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type Refusal = { status: 401 | 403; message: string };

/** The Host header must name the loopback address we bound, by number or as localhost. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** No Origin (a same-origin GET, a non-browser client) is fine; any other site's page is not. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** Host and Origin checks, applied to every request (static files included). */
export function checkSource(headers: IncomingHttpHeaders, port: number): Refusal | null {
  if (!hostAllowed(headers.host, port)) return { status: 403, message: 'This host only answers to 127.0.0.1 and localhost.' };
  if (!originAllowed(headers.origin, port)) return { status: 403, message: 'Requests from other sites are refused.' };
  return null;
}

/** Token check for /api requests: `Authorization: Bearer` or, for EventSource, `?token=`. */
export function checkToken(given: string | null, token: string): Refusal | null {
  if (given === null) return { status: 401, message: 'A token is required: open the address Tierdrop printed when it started.' };
  if (!tokenMatches(given, token)) return { status: 401, message: 'The token is wrong (Tierdrop makes a new one each time it starts).' };
  return null;
}
