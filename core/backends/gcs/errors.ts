// The one place GCS answers and transport failures become TierdropErrors: each says which operation
// on which key failed, where, whether trying again can help, and what a person can do. Failures
// come from the library (ApiError: code + errors[].reason), from our own transport (GcsHttpError),
// from google-auth-library (no credentials) or from Node's sockets.
import type { ErrorCode } from '../../contract/index.js';
import { TierdropError } from '../../errors/index.js';
import { printable } from '../keys.js';
import { GcsHttpError } from './transport.js';

export interface GcsErrorContext {
  /** A verb phrase: 'upload', 'read', 'complete the upload of'. */
  operation: string;
  key?: string;
  bucket: string;
  /** Where the store is, for messages: the endpoint URL or 'Google Cloud Storage'. */
  endpoint: string;
}

export interface GcsFailure {
  status: number | undefined;
  /** Google's error reason ('notFound', 'conditionNotMet'…). */
  reason: string | undefined;
  /** A Node system error code found on the error or its causes. */
  systemCode: string | undefined;
  notJson: boolean;
  message: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const CREDENTIAL_MESSAGES = /could not load the default credentials|invalid_grant|unable to detect a project id|no such file.*key|private key/i;

export function readGcsFailure(error: unknown): GcsFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof GcsHttpError) {
    return { status: error.status, reason: error.reason, systemCode: undefined, notJson: error.notJson, message };
  }
  if (typeof error !== 'object' || error === null) return { status: undefined, reason: undefined, systemCode: undefined, notJson: false, message };
  const code: unknown = Reflect.get(error, 'code');
  const status = typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
  const errors: unknown = Reflect.get(error, 'errors');
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const reason: unknown = typeof first === 'object' && first !== null ? Reflect.get(first, 'reason') : undefined;
  // The library parses bodies itself; an answer that was not JSON reaches us as a parse failure.
  const notJson = error instanceof SyntaxError || /unexpected token|not valid json|invalid json/i.test(message);
  return { status, reason: typeof reason === 'string' ? reason : undefined, systemCode: systemCodeOf(error), notJson, message };
}

/** GCS says "The specified bucket does not exist." where an object's 404 says "No such object". */
export function isBucketMissing(failure: GcsFailure): boolean {
  return failure.status === 404 && /bucket does not exist|no such bucket/i.test(failure.message);
}

/** A 404 about the object itself (not its bucket). */
export function isObjectMissing(failure: GcsFailure): boolean {
  return failure.status === 404 && !isBucketMissing(failure);
}

export function mapGcsError(error: unknown, context: GcsErrorContext): TierdropError {
  if (error instanceof TierdropError) return error;
  const failure = readGcsFailure(error);
  const subject = context.key === undefined ? `gs://${context.bucket}` : `"${printable(context.key)}" in gs://${context.bucket}`;
  const make = (code: ErrorCode, detail: string, options: { retryable?: boolean; hint?: string } = {}) =>
    new TierdropError(code, `Cannot ${context.operation} ${subject}: ${detail}`, { ...options, cause: error });

  if (failure.systemCode !== undefined && UNREACHABLE_CODES.has(failure.systemCode)) {
    return make('unreachable', `${context.endpoint} did not answer (${failure.systemCode}).`, {
      retryable: true,
      hint: 'Check the network connection and the endpoint address.',
    });
  }
  if ((failure.systemCode !== undefined && CONNECTION_LOST_CODES.has(failure.systemCode)) || /socket hang up|other side closed/i.test(failure.message)) {
    return make('store_error', `the connection to ${context.endpoint} was lost (${failure.systemCode ?? 'socket hang up'}).`, { retryable: true });
  }
  if (failure.status === undefined && CREDENTIAL_MESSAGES.test(failure.message)) {
    return make('invalid_credentials', `no usable Google credentials (${failure.message}).`, {
      hint: 'Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or give a service account key file (&keyFile=/path/key.json).',
    });
  }
  if (failure.notJson) {
    return make('store_error', `the store answered something that is not GCS (${failure.status === undefined ? failure.message : `HTTP ${failure.status}`}).`, {
      retryable: true,
      hint: `Check that ${context.endpoint} is a Google Cloud Storage JSON API endpoint.`,
    });
  }
  const status = failure.status;
  const what = `${failure.reason ?? 'error'}: ${failure.message}`;
  if (status === 401) {
    return make('invalid_credentials', `the store does not accept the credentials (HTTP 401, ${what}).`, {
      hint: 'Refresh them with `gcloud auth application-default login`, or check the service account key file.',
    });
  }
  if (status === 403) {
    return make('access_denied', `access denied (HTTP 403, ${what}).`, {
      hint: `Give these credentials the Storage Object User role (roles/storage.objectUser) on gs://${context.bucket}.`,
    });
  }
  if (isBucketMissing(failure)) {
    return make('not_found', `bucket ${context.bucket} does not exist at ${context.endpoint}: create it there, or fix the bucket name in the destination URL.`, {
      hint: `Create the bucket (for example: gcloud storage buckets create gs://${context.bucket}), or edit the destination in Settings.`,
    });
  }
  if (status === 404) return make('not_found', `there is no such object (${what}).`);
  if (status === 412 || status === 409) return make('conflict', `the object changed since it was read (HTTP ${status}).`);
  if (status !== undefined && RETRYABLE_STATUSES.has(status)) {
    return make('store_error', `the store is busy or failing (HTTP ${status}, ${what}).`, { retryable: true });
  }
  if (status === 501) return make('store_error', `the store does not support this operation (${what}).`);
  if (status !== undefined && status >= 500) return make('store_error', `the store failed (HTTP ${status}, ${what}).`, { retryable: true });
  if (status !== undefined && status >= 400) return make('invalid_input', `the store rejected the request (HTTP ${status}, ${what}).`);
  return make('store_error', `unexpected failure (${failure.message}).`, { retryable: true, hint: 'Retry; if it persists, report it.' });
}

function systemCodeOf(error: object): string | undefined {
  // Node puts the code on the error; fetch-based layers wrap it as the cause.
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth += 1) {
    const code: unknown = Reflect.get(current, 'code');
    if (typeof code === 'string' && /^E[A-Z_]+$|^ERR_|^UND_ERR/.test(code)) return code;
    current = Reflect.get(current, 'cause');
  }
  return undefined;
}
