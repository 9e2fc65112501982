// How failures reach the client: S3's <Error> document with the right status (none for HEAD),
// after reading what is left of the body; a cut connection when nobody can be answered any more.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { drainRequest } from '../server-kit/index.js';
import { ConnectionGone, S3Error } from './errors.js';
import { el, errorDocument } from './xml.js';

export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

export async function answerError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  resource: string,
  requestId: string,
  drainTimeoutMs: number,
): Promise<void> {
  if (error instanceof ConnectionGone || req.socket.destroyed) {
    // Unless an answer is already on its way out (see answerClientError), nobody is listening.
    if (!req.socket.writableEnded) req.socket.destroy();
    return;
  }
  if (res.headersSent) {
    // The answer was already under way: all that is left is to cut it short.
    res.destroy();
    return;
  }
  const s3Error = error instanceof S3Error ? error : unexpected(error);
  if (s3Error.closeConnection) res.setHeader('Connection', 'close');
  else await drainRequest(req, drainTimeoutMs);
  if (req.socket.destroyed) return;
  const headers = { ...s3Error.headers };
  if (req.method === 'HEAD') {
    res.writeHead(s3Error.status, headers);
    res.end();
    return;
  }
  const body = errorBody(s3Error, resource, requestId);
  res.writeHead(s3Error.status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(body.length) });
  res.end(body);
}

/**
 * Node found the request itself broken. The one case S3 answers in its own words: the client ended
 * its side before sending the Content-Length it promised (IncompleteBody). Others get Node's answer.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex,
  response: ServerResponse | undefined,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
    socket.destroy();
    return;
  }
  if (error.code === 'HPE_INVALID_EOF_STATE') {
    const requestId = newRequestId();
    const body = errorBody(new S3Error('IncompleteBody'), '/', requestId);
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nx-amz-request-id: ${requestId}\r\nContent-Type: application/xml\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('utf8')}`,
    );
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nx-amz-request-id: ${newRequestId()}\r\nConnection: close\r\n\r\n`);
}

function errorBody(s3Error: S3Error, resource: string, requestId: string): Buffer {
  return Buffer.from(
    errorDocument([
      el('Code', s3Error.code),
      el('Message', s3Error.message),
      ...Object.entries(s3Error.fields).map(([name, value]) => el(name, value)),
      el('Resource', resource),
      el('RequestId', requestId),
    ]),
  );
}

function unexpected(error: unknown): S3Error {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`s3-server: unexpected error: ${detail}\n`);
  const message = error instanceof Error ? error.message : String(error);
  return new S3Error('InternalError', `We encountered an internal error: ${message}`);
}
