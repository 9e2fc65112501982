// AWS Signature Version 4 as S3 checks it: the Authorization header or a presigned query string,
// the signature recomputed from the canonical request, and the chained signatures of signed chunks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RequestToVerify {
  method: string;
  /** The request target exactly as sent: raw path and raw query. */
  url: string;
  /** Node's rawHeaders: name, value, name, value… */
  rawHeaders: readonly string[];
}

export interface Authentication {
  accessKeyId: string;
  /** x-amz-content-sha256 as signed: a hex digest, UNSIGNED-PAYLOAD or a STREAMING-… mode. */
  payloadHash: string;
  /** Set when the body's chunks carry signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
  chunkSigning: ChunkSigning | null;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_CLOCK_SKEW_MS = 15 * 60_000; // S3 refuses requests signed more than 15 minutes off
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const SIGNED_STREAMING = new Set(['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']);

/** Verifies who sent the request; throws S3's answer when it cannot be trusted. */
export function authenticate(
  request: RequestToVerify,
  secretFor: (accessKeyId: string) => string | undefined,
  nowMs: number,
): Authentication {
  const headers = headerValues(request.rawHeaders);
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : request.url.slice(queryStart + 1);
  const query = parseRawQuery(rawQuery);

  const authorization = headers.get('authorization')?.[0];
  const presigned = authorization === undefined && query.some(([name]) => name === 'X-Amz-Algorithm');
  if (authorization === undefined && !presigned) throw new S3Error('AccessDenied');

  const claim = presigned ? presignedClaim(query, nowMs) : headerClaim(authorization ?? '', headers, nowMs);
  const secret = secretFor(claim.accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: claim.accessKeyId } });
  }

  const canonicalRequest = [
    request.method,
    rawPath === '' ? '/' : rawPath,
    canonicalQuery(presigned ? query.filter(([name]) => name !== 'X-Amz-Signature') : query),
    claim.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers.get(name))}\n`).join(''),
    claim.signedHeaders.join(';'),
    claim.payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, claim.amzDate, claim.scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = deriveSigningKey(secret, claim.scopeParts);
  const expected = hmac(signingKey, stringToSign).toString('hex');
  if (!sameHex(expected, claim.signature)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      fields: { AWSAccessKeyId: claim.accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    });
  }

  return {
    accessKeyId: claim.accessKeyId,
    payloadHash: claim.payloadHash,
    chunkSigning: SIGNED_STREAMING.has(claim.payloadHash)
      ? new ChunkSigning(signingKey, claim.amzDate, claim.scope, claim.signature)
      : null,
  };
}

/**
 * The signature chain of a signed aws-chunked body: each chunk signs its data's hash and the
 * previous signature, starting from the request's signature; the trailer signs the trailing headers.
 */
export class ChunkSigning {
  private previousSignature: string;

  constructor(
    private readonly signingKey: Buffer,
    private readonly amzDate: string,
    private readonly scope: string,
    seedSignature: string,
  ) {
    this.previousSignature = seedSignature;
  }

  verifyChunk(signature: string | null, dataSha256Hex: string): void {
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      this.amzDate,
      this.scope,
      this.previousSignature,
      EMPTY_SHA256,
      dataSha256Hex,
    ].join('\n');
    this.check(signature, stringToSign);
  }

  /** `canonicalTrailer` is every trailing header as `name:value\n`, without the signature line. */
  verifyTrailer(signature: string | null, canonicalTrailer: string): void {
    const stringToSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      this.amzDate,
      this.scope,
      this.previousSignature,
      sha256Hex(canonicalTrailer),
    ].join('\n');
    this.check(signature, stringToSign);
  }

  private check(signature: string | null, stringToSign: string): void {
    const expected = hmac(this.signingKey, stringToSign).toString('hex');
    if (signature === null || !sameHex(expected, signature)) throw new S3Error('SignatureDoesNotMatch');
    this.previousSignature = expected;
  }
}

// ---------------------------------------------------------------------------------------------
// What the client claims: from the Authorization header or from a presigned URL's query

interface Claim {
  accessKeyId: string;
  amzDate: string;
  scope: string;
  scopeParts: ScopeParts;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
}

interface ScopeParts {
  date: string;
  region: string;
  service: string;
}

function headerClaim(authorization: string, headers: Map<string, string[]>, nowMs: number): Claim {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw new S3Error('AuthorizationHeaderMalformed');
  }
  const amzDate = headers.get('x-amz-date')?.[0] ?? amzDateFromHttpDate(headers.get('date')?.[0]);
  const payloadHash = headers.get('x-amz-content-sha256')?.[0];
  if (payloadHash === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const claim = credentialClaim(credential, amzDate, signedHeaders, signature, payloadHash);
  if (Math.abs(parseAmzDate(amzDate) - nowMs) > MAX_CLOCK_SKEW_MS) throw new S3Error('RequestTimeTooSkewed');
  return claim;
}

function presignedClaim(query: [string, string][], nowMs: number): Claim {
  const param = (name: string): string => {
    const value = query.find(([key]) => key === name)?.[1];
    if (value === undefined) {
      throw new S3Error('AuthorizationQueryParametersError', `Query-string authentication requires ${name}.`);
    }
    return value;
  };
  if (param('X-Amz-Algorithm') !== ALGORITHM) {
    throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const amzDate = param('X-Amz-Date');
  const expiresSeconds = Number(param('X-Amz-Expires'));
  const payloadHash = query.find(([key]) => key === 'X-Amz-Content-Sha256')?.[1] ?? 'UNSIGNED-PAYLOAD';
  const claim = credentialClaim(
    param('X-Amz-Credential'),
    amzDate,
    param('X-Amz-SignedHeaders'),
    param('X-Amz-Signature'),
    payloadHash,
  );
  if (!Number.isFinite(expiresSeconds) || parseAmzDate(amzDate) + expiresSeconds * 1000 < nowMs) {
    throw new S3Error('AccessDenied', 'Request has expired');
  }
  return claim;
}

function credentialClaim(
  credential: string,
  amzDate: string,
  signedHeaders: string,
  signature: string,
  payloadHash: string,
): Claim {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    accessKeyId === undefined ||
    date === undefined ||
    region === undefined ||
    service === undefined ||
    terminator !== 'aws4_request'
  ) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Credential is mal-formed.',
    );
  }
  if (service !== 's3') {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; incorrect service "${service}".`,
    );
  }
  if (!amzDate.startsWith(date)) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; Invalid credential date "${date}". ` +
        `This date is not the same as X-Amz-Date: "${amzDate}".`,
    );
  }
  return {
    accessKeyId,
    amzDate,
    scope: `${date}/${region}/${service}/aws4_request`,
    scopeParts: { date, region, service },
    signedHeaders: signedHeaders.split(';').map((name) => name.trim().toLowerCase()),
    signature,
    payloadHash,
  };
}

// ---------------------------------------------------------------------------------------------
// Canonical forms

function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    const values = headers.get(name);
    if (values === undefined) headers.set(name, [value]);
    else values.push(value);
  }
  return headers;
}

function canonicalHeaderValue(values: string[] | undefined): string {
  return (values ?? []).map((value) => value.trim().replace(/\s+/g, ' ')).join(',');
}

/** Decoded name/value pairs in the order sent; `+` is a literal plus, as the SDK sends it. */
function parseRawQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const equals = piece.indexOf('=');
    const name = equals < 0 ? piece : piece.slice(0, equals);
    const value = equals < 0 ? '' : piece.slice(equals + 1);
    pairs.push([safeDecode(name), safeDecode(value)]);
  }
  return pairs;
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([name, value]): [string, string] => [uriEncode(name), uriEncode(value)])
    .sort(([nameA, valueA], [nameB, valueB]) =>
      nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
    )
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and keys

function parseAmzDate(amzDate: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (match === null) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0);
}

function amzDateFromHttpDate(httpDate: string | undefined): string {
  const ms = httpDate === undefined ? Number.NaN : Date.parse(httpDate);
  if (Number.isNaN(ms)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const signingKeys = new Map<string, Buffer>(); // derived once per secret, day, region and service

function deriveSigningKey(secret: string, scope: ScopeParts): Buffer {
  const cacheKey = [secret, scope.date, scope.region, scope.service].join('\n');
  const cached = signingKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  const dateKey = hmac(Buffer.from(`AWS4${secret}`), scope.date);
  const key = hmac(hmac(hmac(dateKey, scope.region), scope.service), 'aws4_request');
  signingKeys.set(cacheKey, key);
  return key;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}
