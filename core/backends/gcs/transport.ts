// The two requests that carry object bytes, sent on node:http(s) rather than through the library:
// a multipart upload (JSON metadata + data, one request, exact Content-Length, the MD5 in the
// metadata when it is known up front) and a media download. The library's simple upload pipes the
// body without a length and cannot be aborted; here an AbortSignal stops the request at once and
// a body that stalls or fails tears the socket down instead of leaving it half-sent.
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface UploadRequest {
  bucket: string;
  name: string;
  /** The object resource fields to set: contentType, metadata, md5Hash… */
  resource: Record<string, unknown>;
  body: Buffer | Readable;
  lengthBytes: number;
  /** Query parameters such as ifGenerationMatch. */
  query?: Record<string, string>;
  signal?: AbortSignal;
}

/** An HTTP answer that was not a success, with Google's error fields when the body had them. */
export class GcsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
    /** The body was not Google's JSON (or not JSON at all): likely not a GCS endpoint. */
    readonly notJson: boolean,
  ) {
    super(message);
    this.name = 'GcsHttpError';
  }
}

/** The socket sent and received nothing for the idle timeout. */
class SocketIdle extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(idleMs: number) {
    super(`no data moved for ${Math.round(idleMs / 1000)} s`);
    this.name = 'SocketIdle';
  }
}

const MAX_ANSWER_BYTES = 1024 * 1024; // an object resource or an error is a few KiB

export class GcsTransport {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly idleTimeoutMs: number;

  constructor(
    private readonly endpoint: string,
    private readonly authHeaders: () => Promise<Record<string, string>>,
    options: { maxSockets: number; requestTimeoutMs: number },
  ) {
    this.idleTimeoutMs = options.requestTimeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
  }

  /** uploadType=multipart: answers the new object's resource. */
  async upload(upload: UploadRequest): Promise<Record<string, unknown>> {
    const boundary = `tierdrop-${randomBytes(12).toString('hex')}`;
    const contentType = typeof upload.resource['contentType'] === 'string' ? upload.resource['contentType'] : 'application/octet-stream';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify({ ...upload.resource, name: upload.name })}\r\n` +
        `--${boundary}\r\nContent-Type: ${contentType}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const query = new URLSearchParams({ uploadType: 'multipart', ...upload.query });
    const url = new URL(`${this.endpoint}/upload/storage/v1/b/${encodeURIComponent(upload.bucket)}/o?${query.toString()}`);
    const response = await this.send(url, 'POST', {
      headers: { 'Content-Type': `multipart/related; boundary=${boundary}`, 'Content-Length': String(head.length + upload.lengthBytes + tail.length) },
      body: Readable.from(framed(head, upload.body, tail), { objectMode: false }),
      signal: upload.signal,
    });
    return readJsonAnswer(response);
  }

  /** alt=media of one generation: the response stream, or null on 404. */
  async download(bucket: string, name: string, generation: string, signal: AbortSignal | undefined): Promise<IncomingMessage | null> {
    const url = new URL(`${this.endpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media&generation=${generation}`);
    const response = await this.send(url, 'GET', { headers: {}, signal });
    if (response.statusCode === 404) {
      response.resume();
      return null;
    }
    if (response.statusCode !== 200) await readJsonAnswer(response); // throws the error it carries
    return response;
  }

  dispose(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async send(url: URL, method: string, options: { headers: Record<string, string>; body?: Readable; signal: AbortSignal | undefined }): Promise<IncomingMessage> {
    const headers = { ...(await this.authHeaders()), ...options.headers };
    const https = url.protocol === 'https:';
    const request = (https ? httpsRequest : httpRequest)(url, { method, headers, agent: https ? this.httpsAgent : this.httpAgent });
    const signal = options.signal;
    // An abort resets the connection (RST) rather than closing it (FIN): the server then drops the
    // bytes still in its receive buffer instead of reading them to the end and storing the object
    // after the caller gave up on it — a part landing after abort() would be left behind.
    const onAbort = (): void => {
      request.socket?.resetAndDestroy();
      request.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted === true) onAbort();
    // A socket silent this long will not answer; the error maps to a retryable lost connection.
    request.setTimeout(this.idleTimeoutMs, () => request.destroy(new SocketIdle(this.idleTimeoutMs)));
    signal?.addEventListener('abort', onAbort, { once: true });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', (response) => {
        // Aborting while the body of the answer streams still stops it.
        response.once('close', () => signal?.removeEventListener('abort', onAbort));
        resolve(response);
      });
      request.once('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      });
    });
    if (options.body === undefined) {
      request.end();
      return answered;
    }
    // A failing body (a stalled or short source) destroys the request, so `answered` reports it.
    void pipeline(options.body, request).catch(() => undefined);
    return answered;
  }
}

async function* framed(head: Buffer, body: Buffer | Readable, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  if (Buffer.isBuffer(body)) yield body;
  else for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
  yield tail;
}

/** A 2xx JSON body, or the GcsHttpError the answer describes. */
export async function readJsonAnswer(response: IncomingMessage): Promise<Record<string, unknown>> {
  const status = response.statusCode ?? 0;
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const chunk of response) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += piece.length;
    if (total > MAX_ANSWER_BYTES) {
      response.destroy();
      throw new GcsHttpError(status, undefined, `an answer larger than ${MAX_ANSWER_BYTES} bytes`, true);
    }
    pieces.push(piece);
  }
  const text = Buffer.concat(pieces).toString('utf8');
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new GcsHttpError(status, undefined, `HTTP ${status} with a body that is not JSON`, true);
  }
  const fields = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.fromEntries(Object.entries(json)) : null;
  if (status >= 200 && status < 300) {
    if (fields === null) throw new GcsHttpError(status, undefined, `HTTP ${status} with a body that is not a JSON object`, true);
    return fields;
  }
  const error = fields?.['error'];
  if (typeof error !== 'object' || error === null) throw new GcsHttpError(status, undefined, `HTTP ${status} without Google's error body`, true);
  const message = Reflect.get(error, 'message');
  const errors: unknown = Reflect.get(error, 'errors');
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const reason = typeof first === 'object' && first !== null ? Reflect.get(first, 'reason') : undefined;
  throw new GcsHttpError(status, typeof reason === 'string' ? reason : undefined, typeof message === 'string' ? message : `HTTP ${status}`, false);
}
