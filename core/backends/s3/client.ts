// Builds the S3Client for a destination: explicit or environment credentials that fail fast,
// one attempt per request (the engine retries), keep-alive sockets sized to the transfer budget,
// and the checksum choice (CRC32, or none for stores that cannot read streaming trailers).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { fromEnv, fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ChecksumChoice } from '../../contract/index.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When the SDK should ask the source again; already past means "at every request". */
  expiration?: Date;
}

export interface S3BackendOptions {
  bucket: string;
  /** An S3-compatible endpoint such as `http://127.0.0.1:9000`; AWS when absent. */
  endpoint?: string;
  region?: string;
  /** Defaults to true whenever an endpoint is given: most S3-compatible stores need it. */
  forcePathStyle?: boolean;
  /** Defaults to the AWS environment: AWS_ACCESS_KEY_ID/… variables, then AWS_PROFILE's profile. */
  credentials?: S3Credentials | S3CredentialSource;
  checksum: ChecksumChoice;
  maxSockets?: number;
  requestTimeoutMs?: number;
}

const DEFAULT_REGION = 'us-east-1'; // what S3-compatible stores expect when none is configured
const DEFAULT_MAX_SOCKETS = 16; // parts in flight plus a few listing and head requests
const CONNECT_TIMEOUT_MS = 10_000; // a TCP connect that takes longer will not succeed
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000; // idle socket; the engine's stall timer is usually first
const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60_000; // the SDK's own margin before temporary keys expire

export type S3CredentialSource = () => Promise<S3Credentials>;
type CredentialSource = S3CredentialSource;

/** Every failure reaches the caller as a TierdropError; the SDK's own console warnings add nothing. */
const SILENT_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface S3Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** The keep-alive sockets one backend's requests share, through the SDK and the lean PUT alike. */
export function createS3Agents(options: S3BackendOptions): S3Agents {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS };
  return { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
}

export function requestTimeoutOf(options: S3BackendOptions): number {
  return options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

export function createS3Client(options: S3BackendOptions, agents: S3Agents = createS3Agents(options)): S3Client {
  // Tierdrop supports Node 20 (and Electron brings its own Node); the SDK's notice that it will
  // want Node 22 in 2027 would land on every CLI user's stderr. An explicit setting is respected.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Client({
    region: resolveRegion(options.region),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials: options.credentials ?? environmentCredentials(),
    maxAttempts: 1,
    logger: SILENT_LOGGER,
    // With our own agent the handler sends a body without waiting for `100 Continue` anyway, so
    // the header only makes every part answer twice; an early refusal still ends the request.
    expectContinueHeader: false,
    requestChecksumCalculation: options.checksum === 'crc32' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation: options.checksum === 'crc32' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      httpAgent: agents.http,
      httpsAgent: agents.https,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: requestTimeoutOf(options),
    }),
  });
}

/** The given region, else the environment's, else the one S3-compatible stores expect. */
export function resolveRegion(region: string | undefined): string {
  return region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? DEFAULT_REGION;
}

/**
 * The environment's credentials: variables first, then the shared config and credentials files.
 * Unlike the SDK's default chain it never asks the EC2 metadata service, which makes a machine
 * without credentials wait seconds before failing; a desktop app has no instance role anyway.
 */
export function environmentCredentials(): CredentialSource {
  const sources: Array<{ name: string; load: CredentialSource }> = [
    { name: 'environment variables', load: fromEnv() },
    { name: 'shared config files', load: fromIni() },
  ];
  const resolve = async (): Promise<S3Credentials> => {
    const reasons: string[] = [];
    for (const source of sources) {
      try {
        return await source.load();
      } catch (error) {
        reasons.push(`${source.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new MissingCredentialsError(reasons);
  };
  // Asked at every request (the entered keys in front of these may change at any time), so what
  // the environment gave is kept until shortly before it expires; a failure is asked again.
  let kept: { credentials: Promise<S3Credentials>; refreshAtMs: number } | null = null;
  return () => {
    if (kept !== null && Date.now() < kept.refreshAtMs) return kept.credentials;
    const entry = { credentials: resolve(), refreshAtMs: Number.POSITIVE_INFINITY };
    kept = entry;
    entry.credentials.then(
      (credentials) => {
        const expiresAtMs = credentials.expiration?.getTime();
        if (expiresAtMs !== undefined) entry.refreshAtMs = expiresAtMs - CREDENTIAL_REFRESH_MARGIN_MS;
      },
      () => {
        entry.refreshAtMs = 0;
      },
    );
    return entry.credentials;
  };
}

/** Thrown through the SDK when no source has credentials; mapS3Error names the request it stopped. */
export class MissingCredentialsError extends Error {
  constructor(readonly reasons: string[]) {
    super(`no S3 credentials were found (${reasons.join('; ')})`);
    this.name = 'MissingCredentialsError';
  }
}
