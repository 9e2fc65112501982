// The request small files make most, a PUT of a body already in memory, sent without the SDK's
// middleware stack: signed by the SDK's own SigV4 signer, addressed by its own endpoint rules, on
// the backend's keep-alive agent. Through `S3Client.send` the same PUT of 4 KiB costs ~1.3 ms of
// CPU, here ~0.2 ms (DESIGN.md §5). Everything else (multipart, reads, listings) stays with the SDK.
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { crc32 } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

/** An error answer longer than this is not S3's (its error documents are a few hundred bytes). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Characters encodeURIComponent leaves alone that S3's canonical URI escapes (RFC 3986 reserved). */
const RESERVED_BY_RFC3986 = /[!'()*]/g;

export interface LeanPutRequest {
  key: string;
  body: Buffer;
  /** Conditional, content and metadata headers, lower-case names. */
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}

export interface LeanPutSettings {
  client: S3Client;
  bucket: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  crc32: boolean;
  agents: { http: HttpAgent; https: HttpsAgent };
  requestTimeoutMs: number;
}

/**
 * What the store answered when it refused: shaped like the SDK's service errors (`Code`, `name`,
 * `$metadata.httpStatusCode`), so mapS3Error reads both the same way.
 */
export class S3AnswerError extends Error {
  readonly Code: string | undefined;
  readonly $metadata: { httpStatusCode: number };

  constructor(status: number, code: string | undefined, message: string | undefined) {
    super(message ?? `HTTP ${status}`);
    this.name = code ?? 'UnknownError';
    this.Code = code;
    this.$metadata = { httpStatusCode: status };
  }
}

export class LeanPut {
  readonly #settings: LeanPutSettings;
  readonly #base: URL;
  readonly #signer: SignatureV4;

  private constructor(settings: LeanPutSettings, base: URL, signingRegion: string) {
    this.#settings = settings;
    this.#base = base;
    const config = settings.client.config;
    this.#signer = new SignatureV4({
      credentials: config.credentials,
      region: signingRegion,
      service: 's3',
      sha256: config.sha256,
      uriEscapePath: false, // the path is escaped once, below; S3 does not want it twice
      applyChecksum: true,
    });
  }

  /**
   * The lean path for this bucket, or null when the SDK's endpoint rules ask for anything but plain
   * SigV4 to one URL (access-point ARNs, S3 Express, multi-region access points): those keep the SDK.
   */
  static create(settings: LeanPutSettings): LeanPut | null {
    let resolved;
    try {
      resolved = settings.client.config.endpointProvider({
        Bucket: settings.bucket,
        Region: settings.region,
        ForcePathStyle: settings.forcePathStyle,
        UseFIPS: false,
        UseDualStack: false,
        Accelerate: false,
        ...(settings.endpoint === undefined ? {} : { Endpoint: settings.endpoint }),
      });
    } catch {
      return null;
    }
    const schemes = resolved.properties?.['authSchemes'];
    const scheme: unknown = Array.isArray(schemes) && schemes.length === 1 ? schemes[0] : undefined;
    if (typeof scheme !== 'object' || scheme === null) return null;
    const name: unknown = Reflect.get(scheme, 'name');
    const signingName: unknown = Reflect.get(scheme, 'signingName');
    const signingRegion: unknown = Reflect.get(scheme, 'signingRegion');
    if (name !== 'sigv4' || signingName !== 's3' || typeof signingRegion !== 'string') return null;
    if (resolved.headers !== undefined && Object.keys(resolved.headers).length > 0) return null;
    return new LeanPut(settings, new URL(resolved.url.href), signingRegion);
  }

  /** Sends the PUT once; answers the ETag, throws S3AnswerError for a refusal and Node's errors for the transport. */
  async put(request: LeanPutRequest): Promise<{ etag: string | undefined }> {
    const base = this.#base;
    const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    const path = `${basePath}${escapeKey(request.key)}`;
    const headers: Record<string, string> = {
      host: base.host,
      'content-length': String(request.body.length),
      ...request.headers,
    };
    if (this.#settings.crc32) headers['x-amz-checksum-crc32'] = crc32Header(request.body);
    const signed = await this.#signer.sign(
      { method: 'PUT', protocol: base.protocol, hostname: base.hostname, port: portOf(base), path, query: {}, headers, body: request.body },
      { signingDate: new Date(Date.now() + this.#settings.client.config.systemClockOffset) },
    );
    const response = await this.#send(path, signed.headers, request);
    if (response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300) {
      response.resume();
      const etag = response.headers.etag;
      return { etag: typeof etag === 'string' && etag !== '' ? etag : undefined };
    }
    throw await answerError(response);
  }

  #send(path: string, headers: Record<string, string>, request: LeanPutRequest): Promise<IncomingMessage> {
    const base = this.#base;
    const https = base.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send({
        method: 'PUT',
        protocol: base.protocol,
        hostname: base.hostname,
        port: portOf(base),
        path,
        headers,
        agent: https ? this.#settings.agents.https : this.#settings.agents.http,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      outgoing.setTimeout(this.#settings.requestTimeoutMs, () => {
        const timeout = new Error(`no answer in ${this.#settings.requestTimeoutMs} ms`);
        timeout.name = 'TimeoutError';
        outgoing.destroy(timeout);
      });
      outgoing.once('response', resolve);
      outgoing.once('error', reject);
      outgoing.end(request.body);
    });
  }
}

/** The key as S3's canonical URI wants it: each segment percent-encoded, the slashes kept. */
export function escapeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(RESERVED_BY_RFC3986, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

function portOf(url: URL): number | undefined {
  return url.port === '' ? undefined : Number(url.port);
}

function crc32Header(body: Buffer): string {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(crc32(body) >>> 0);
  return value.toString('base64');
}

/** Reads S3's error document (`<Error><Code>…</Code><Message>…</Message></Error>`), whatever else came. */
async function answerError(response: IncomingMessage): Promise<S3AnswerError> {
  const status = response.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response) {
    if (!Buffer.isBuffer(chunk)) continue;
    received += chunk.length;
    if (received > MAX_ERROR_BODY_BYTES) {
      response.destroy();
      break;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const code = /<Error>[\s\S]*?<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{0,1024})<\/Message>/.exec(text)?.[1];
  return new S3AnswerError(status, code, message === undefined ? undefined : decodeXmlText(message));
}

function decodeXmlText(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
}
