// The window is served from a private `tierdrop://app/` scheme instead of file://, so it has a real
// origin to check senders against, headers (the CSP) on every response, and no way to reach files
// outside the built renderer.
import { extname, isAbsolute, join, relative } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../core/host/index.js';

export const APP_SCHEME = 'tierdrop';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The file a `tierdrop://app/...` request names inside `rendererDir`, or null if it names none. */
export function fileForAppUrl(requestUrl: string, rendererDir: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const wanted = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  const file = join(rendererDir, wanted);
  const inner = relative(rendererDir, file);
  if (inner === '' || inner.startsWith('..') || isAbsolute(inner)) return null;
  return file;
}

export function appResponseHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
  };
}
