// The one place S3 answers and transport failures become TierdropErrors: each says which
// operation on which key failed, where, whether trying again can help, and what a person can do.
import { TierdropError } from '../../errors/index.js';
import type { ErrorCode } from '../../contract/index.js';
import { printable } from '../keys.js';

export interface S3ErrorContext {
  /** A verb phrase: 'upload', 'read', 'complete the upload of'. */
  operation: string;
  key?: string;
  bucket: string;
  /** Where the store is, for messages: the endpoint URL or 'AWS (us-east-1)'. */
  endpoint: string;
}

/** What the SDK tells us about a failure, read defensively: errors come from many layers. */
export interface S3Failure {
  /** S3's error code (`NoSuchKey`), or the JS error name for transport failures. */
  name: string | undefined;
  httpStatus: number | undefined;
  /** A Node system error code (`ECONNREFUSED`) found on the error or its causes. */
  systemCode: string | undefined;
  message: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);
const DENIED_CODES = new Set(['AccessDenied', 'Forbidden', 'AllAccessDisabled', 'AccountProblem']);
const BUSY_CODES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'Throttling', 'ThrottlingException']);
const REJECTED_CODES = new Set([
  'InvalidPart',
  'InvalidPartOrder',
  'EntityTooSmall',
  'EntityTooLarge',
  'InvalidArgument',
  'InvalidRequest',
  'MalformedXML',
  'KeyTooLongError',
  'InvalidDigest',
  'BadDigest',
  'IncompleteBody',
  'InvalidRange',
]);
/** Names the SDK gives answers it could not read as S3's XML. */
const GARBLED_NAMES = new Set(['Unknown', 'UnknownError', 'SyntaxError', 'XMLParserError', 'DeserializationError']);

export function readFailure(error: unknown): S3Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (typeof error !== 'object' || error === null) {
    return { name: undefined, httpStatus: undefined, systemCode: undefined, message };
  }
  const code = stringField(error, 'Code');
  const name = code ?? stringField(error, 'name');
  const metadata = objectField(error, '$metadata');
  const status = metadata === undefined ? undefined : metadata['httpStatusCode'];
  return {
    name,
    httpStatus: typeof status === 'number' ? status : undefined,
    systemCode: systemCodeOf(error),
    message,
  };
}

/** Maps anything `S3Client.send` (or our own checks) threw. */
export function mapS3Error(error: unknown, context: S3ErrorContext): TierdropError {
  if (error instanceof TierdropError) return error;
  const failure = readFailure(error);
  const subject = context.key === undefined ? `s3://${context.bucket}` : `"${printable(context.key)}" in s3://${context.bucket}`;
  const doing = `Cannot ${context.operation} ${subject}`;
  const make = (code: ErrorCode, detail: string, options: { retryable?: boolean; hint?: string } = {}) =>
    new TierdropError(code, `${doing}: ${detail}`, { ...options, cause: error });
  const name = failure.name ?? '';

  if (name === 'AbortError') return make('paused', 'the request was aborted.', { retryable: true });
  if (failure.systemCode !== undefined && UNREACHABLE_CODES.has(failure.systemCode)) {
    return make('unreachable', `${context.endpoint} did not answer (${failure.systemCode}).`, {
      retryable: true,
      hint: 'Check the network connection and the endpoint address.',
    });
  }
  if ((failure.systemCode !== undefined && CONNECTION_LOST_CODES.has(failure.systemCode)) || /socket hang up/i.test(failure.message)) {
    return make('store_error', `the connection to ${context.endpoint} was lost (${failure.systemCode ?? 'socket hang up'}).`, {
      retryable: true,
    });
  }
  if (name === 'TimeoutError') {
    return make('store_error', `${context.endpoint} did not answer in time.`, { retryable: true });
  }
  if (name === 'NoSuchBucket') {
    return make('not_found', `bucket ${context.bucket} does not exist at ${context.endpoint}: create it there, or fix the bucket name in the destination URL.`, {
      hint: `Create the bucket (for example: aws s3 mb s3://${context.bucket} --endpoint-url ${context.endpoint}), or edit the destination in Settings.`,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound') return make('not_found', 'there is no such object.');
  if (name === 'NoSuchUpload') {
    return make('not_found', 'the multipart upload does not exist (it was completed or aborted).', {
      hint: 'Start the upload again.',
    });
  }
  if (name === 'MissingCredentialsError') {
    return make('invalid_credentials', `${failure.message}.`, {
      hint: 'Enter access keys for the destination in Settings, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE to a profile in ~/.aws/credentials).',
    });
  }
  if (CREDENTIAL_CODES.has(name)) {
    return make('invalid_credentials', `the store does not accept the credentials (${name}).`, {
      hint: 'Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS_PROFILE in use), and that your clock is right.',
    });
  }
  if (DENIED_CODES.has(name)) {
    return make('access_denied', `access denied (${name}).`, {
      hint: `Give these credentials permission to read and write s3://${context.bucket}.`,
    });
  }
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') {
    return make('conflict', 'the object changed since it was read.');
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException') {
    return make('invalid_input', `the bucket is in another region (${name}).`, {
      hint: 'Add ?region=THE_BUCKET_REGION to the destination URL.',
    });
  }
  if (name === 'RequestTimeTooSkewed') {
    return make('invalid_credentials', 'this computer\'s clock differs too much from the store\'s.', {
      hint: 'Set the system clock to the right time.',
    });
  }
  if (name === 'NotImplemented') {
    return make('store_error', `the store does not support this operation (${failure.message}).`);
  }
  if (BUSY_CODES.has(name)) {
    return make('store_error', `the store is busy or failing (${name}: ${failure.message}).`, { retryable: true });
  }
  if (REJECTED_CODES.has(name)) return make('invalid_input', `the store rejected the request (${name}: ${failure.message}).`);
  if (GARBLED_NAMES.has(name) || /deserializ|not well-formed|unexpected (token|end)/i.test(failure.message)) {
    return make('store_error', `the store answered something that is not S3 (HTTP ${failure.httpStatus ?? '?'}).`, {
      retryable: true,
      hint: `Check that ${context.endpoint} is an S3-compatible endpoint.`,
    });
  }
  return mapByStatus(failure, context, make);
}

function mapByStatus(
  failure: S3Failure,
  context: S3ErrorContext,
  make: (code: ErrorCode, detail: string, options?: { retryable?: boolean; hint?: string }) => TierdropError,
): TierdropError {
  const status = failure.httpStatus;
  const what = `${failure.name ?? 'error'}: ${failure.message}`;
  if (status === 401 || status === 403) {
    return make('access_denied', `access denied (HTTP ${status}).`, {
      hint: `Check the credentials and their permissions on s3://${context.bucket}.`,
    });
  }
  if (status === 404) return make('not_found', `not found (HTTP 404, ${what}).`);
  if (status === 409 || status === 412) return make('conflict', `the object changed since it was read (HTTP ${status}).`);
  if (status !== undefined && status >= 500) {
    return make('store_error', `the store failed (HTTP ${status}, ${what}).`, { retryable: true });
  }
  if (status !== undefined && status >= 400) return make('invalid_input', `the store rejected the request (HTTP ${status}, ${what}).`);
  return make('store_error', `unexpected failure (${what}).`, { retryable: true, hint: 'Retry; if it persists, report it.' });
}

function systemCodeOf(error: object): string | undefined {
  // Node puts the system code on the error; the SDK sometimes wraps it as the cause.
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth += 1) {
    const code = stringField(current, 'code');
    if (code !== undefined && /^E[A-Z_]+$|^ERR_/.test(code)) return code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

function stringField(value: object, field: string): string | undefined {
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

function objectField(value: object, field: string): Record<string, unknown> | undefined {
  const found: unknown = Reflect.get(value, field);
  if (typeof found !== 'object' || found === null) return undefined;
  return Object.fromEntries(Object.entries(found));
}
