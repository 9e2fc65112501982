// Serving the built window (vite's output in dist/renderer): index.html for `/`, hashed assets
// cached forever, nothing outside the folder, and a plain hint when the window was never built.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, isAbsolute } from 'node:path';
import { securityHeaders, sendText } from './respond.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const HASHED_ASSETS = /^assets\//; // vite puts content-hashed files here, so they never change
const IMMUTABLE = 'public, max-age=31536000, immutable';
export const NOT_BUILT_HINT = 'The Tierdrop window is not built yet: run `npm run build:renderer`, then reload this page.';

export async function serveStatic(request: IncomingMessage, response: ServerResponse, rendererDir: string, pathname: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendText(response, 405, 'Only GET and HEAD are served here.', { Allow: 'GET, HEAD' });
    return;
  }
  const indexFile = join(rendererDir, 'index.html');
  if (!(await isFile(indexFile))) {
    sendText(response, 503, `${NOT_BUILT_HINT}\n`);
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    sendText(response, 400, 'The path is not valid.');
    return;
  }
  const wanted = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = join(rendererDir, wanted);
  const inner = relative(rendererDir, file);
  if (decoded.includes('\0') || inner === '' || inner.startsWith('..') || isAbsolute(inner) || !(await isFile(file))) {
    sendText(response, 404, 'Not found.');
    return;
  }
  const info = await stat(file);
  response.writeHead(200, {
    ...securityHeaders(),
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': HASHED_ASSETS.test(inner.split('\\').join('/')) ? IMMUTABLE : 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file)
    .on('error', () => response.destroy())
    .pipe(response);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
