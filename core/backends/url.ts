// Destination URLs: `file:///abs/dir`, `s3://bucket/prefix?endpoint=…&region=…&checksum=…` and
// `gs://bucket/prefix?endpoint=…&project=…&keyFile=…`,
// parsed into a location (pure, unit-tested) and opened into a backend plus the key prefix.
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChecksumChoice, parseServiceAccountKey } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';
import { findCredentials } from './credentials.js';
import { FsBackend } from './fs/index.js';
import { validatePrefix } from './keys.js';
import { GcsBackend } from './gcs/index.js';
import { S3Backend, environmentCredentials, type S3CredentialSource } from './s3/index.js';
import type { StoreBackend } from './types.js';

/** How a destination stores objects: tiered (HV + LT, the default) or direct (plain objects in LT). */
export type StoreMode = 'tiered' | 'direct';

/** Parameters every kind of destination takes; written only when they differ from the default. */
interface CommonParameters {
  /** Absent means tiered. */
  mode?: 'direct';
  /** Objects smaller than this go inline to HV (tiered only); absent means the default. */
  inlineBelowBytes?: number;
}

export type StoreLocation =
  | ({ kind: 'fs'; root: string; prefix: ''; url: string } & CommonParameters)
  | ({
      kind: 's3';
      bucket: string;
      /** No leading '/'; ends with '/' unless empty. */
      prefix: string;
      endpoint?: string;
      region?: string;
      checksum?: ChecksumChoice;
      url: string;
    } & CommonParameters)
  | ({
      kind: 'gcs';
      bucket: string;
      /** No leading '/'; ends with '/' unless empty. */
      prefix: string;
      endpoint?: string;
      project?: string;
      /** A service account key file; Application Default Credentials when absent. */
      keyFile?: string;
      url: string;
    } & CommonParameters);

export interface OpenStoreOptions {
  /** Used when the URL does not say (`?checksum=`); defaults to 'crc32'. */
  checksum?: ChecksumChoice;
  maxSockets?: number;
  /** A GCS service account key file (a setting) for gs: URLs that do not name one (`&keyFile=`). */
  gcsKeyFile?: string;
}

export interface OpenedStore {
  backend: StoreBackend;
  /** Prepended to every key written for this destination: '' or 'some/folder/'. */
  prefix: string;
  /** The destination URL in canonical form. */
  url: string;
  mode: StoreMode;
  inlineBelowBytes?: number;
}

const S3_PARAMETERS = ['endpoint', 'region', 'checksum'] as const;
const GS_PARAMETERS = ['endpoint', 'project', 'keyFile'] as const;
const GCS_BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/; // GCS's bucket naming rules (dotless form)
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/; // Google Cloud project ids
const COMMON_PARAMETERS = ['mode', 'inline-below'] as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/; // S3's bucket naming rules
const REGION_NAME = /^[a-z0-9-]{1,64}$/;
const EXAMPLES = 'file:///path/to/folder, s3://bucket/prefix?endpoint=http://127.0.0.1:9000 or gs://bucket/prefix';

export function openStore(url: string, options: OpenStoreOptions = {}): OpenedStore {
  const location = parseStoreUrl(url);
  const common = {
    url: location.url,
    mode: location.mode ?? 'tiered',
    ...(location.inlineBelowBytes === undefined ? {} : { inlineBelowBytes: location.inlineBelowBytes }),
  } as const;
  if (location.kind === 'fs') {
    return { backend: new FsBackend({ root: location.root }), prefix: '', ...common };
  }
  if (location.kind === 'gcs') {
    // A key named in the URL wins; then the one entered for this destination; then the setting.
    const stored = findCredentials(location);
    const entered = stored?.kind === 'gcs' ? stored : null;
    const keyJson = location.keyFile === undefined && entered?.keyJson !== undefined ? parseServiceAccountKey(entered.keyJson) : null;
    const keyFile = location.keyFile ?? entered?.keyFile ?? (keyJson === null ? options.gcsKeyFile : undefined);
    const projectId = location.project ?? keyJson?.project_id;
    const backend = new GcsBackend({
      bucket: location.bucket,
      ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
      ...(projectId === undefined ? {} : { projectId }),
      ...(keyFile === undefined ? {} : { keyFile }),
      ...(keyJson === null ? {} : { serviceAccountKey: keyJson }),
      ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
    });
    return { backend, prefix: location.prefix, ...common };
  }
  const backend = new S3Backend({
    bucket: location.bucket,
    ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
    ...(location.region === undefined ? {} : { region: location.region }),
    checksum: location.checksum ?? options.checksum ?? 'crc32',
    credentials: enteredOrEnvironmentCredentials(location),
    ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
  });
  return { backend, prefix: location.prefix, ...common };
}

/**
 * S3 credentials entered for the destination, looked up at every request so that keys entered (or
 * changed) after the destination was opened apply at once; else the AWS environment's.
 */
function enteredOrEnvironmentCredentials(location: StoreLocation): S3CredentialSource {
  const environment = environmentCredentials();
  return async () => {
    const entered = findCredentials(location);
    const credentials =
      entered?.kind === 's3'
        ? { accessKeyId: entered.accessKeyId, secretAccessKey: entered.secretAccessKey, ...(entered.sessionToken === undefined ? {} : { sessionToken: entered.sessionToken }) }
        : await environment();
    // Already expired for the SDK's cache, so it asks again on the next request (a map lookup).
    return { ...credentials, expiration: new Date() };
  };
}

export function parseStoreUrl(raw: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(raw, 'it is not a URL');
  }
  if (url.protocol === 'file:') return parseFileUrl(raw, url);
  if (url.protocol === 's3:') return parseS3Url(raw, url);
  if (url.protocol === 'gs:') return parseGsUrl(raw, url);
  throw invalid(raw, `"${url.protocol}" destinations are not supported`);
}

function parseFileUrl(raw: string, url: URL): StoreLocation {
  // WHATWG parsing turns `file:relative` into `file:///relative`; only a written-out root is meant.
  if (!/^file:\/\/(localhost)?\//i.test(raw)) throw invalid(raw, 'a file URL must name an absolute folder (file:///…)');
  if (url.hash !== '') throw invalid(raw, 'a file URL takes no #fragment');
  const common: CommonParameters = {};
  for (const [name, value] of url.searchParams) {
    if (!readCommonParameter(raw, common, name, value)) {
      throw invalid(raw, `a file URL takes no ?query other than ${COMMON_PARAMETERS.join(' and ')} ("${name}" is not one)`);
    }
  }
  let root: string;
  try {
    root = fileURLToPath(url);
  } catch (error) {
    throw invalid(raw, error instanceof Error ? error.message : 'it does not name a folder');
  }
  if (!isAbsolute(root)) throw invalid(raw, 'it does not name an absolute folder');
  const trimmed = root.length > 1 ? root.replace(/[\\/]+$/, '') : root;
  return { kind: 'fs', root: trimmed, prefix: '', ...common, url: pathToFileURL(trimmed).href + commonQuery(common, false) };
}

function parseS3Url(raw: string, url: URL): StoreLocation {
  if (url.username !== '' || url.password !== '') {
    throw invalid(raw, 'credentials do not belong in the URL', 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead.');
  }
  if (url.port !== '') throw invalid(raw, 'an s3 URL names a bucket, not a host and port', 'Put the host in ?endpoint=http://host:port.');
  if (url.hash !== '') throw invalid(raw, 'an s3 URL takes no #fragment');
  const bucket = url.hostname;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw invalid(raw, `"${bucket}" is not a valid bucket name`, 'Bucket names have 3 to 63 lowercase letters, digits, dots and hyphens.');
  }
  const prefix = decodePrefix(raw, url.pathname);
  const location: StoreLocation = { kind: 's3', bucket, prefix, url: '' };
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'endpoint':
        location.endpoint = parseEndpoint(raw, value);
        break;
      case 'region':
        if (!REGION_NAME.test(value)) throw invalid(raw, `"${value}" is not a region name`);
        location.region = value;
        break;
      case 'checksum': {
        const checksum = ChecksumChoice.safeParse(value);
        if (!checksum.success) throw invalid(raw, `checksum must be ${ChecksumChoice.options.join(' or ')}, not "${value}"`);
        location.checksum = checksum.data;
        break;
      }
      default:
        if (!readCommonParameter(raw, location, name, value)) {
          throw invalid(raw, `"${name}" is not a known parameter (known: ${[...S3_PARAMETERS, ...COMMON_PARAMETERS].join(', ')})`);
        }
    }
  }
  location.url = canonicalS3Url(location);
  return location;
}

/** `gs://bucket/prefix?endpoint=http://127.0.0.1:PORT&project=ID&keyFile=/abs/key.json`. */
function parseGsUrl(raw: string, url: URL): StoreLocation {
  if (url.username !== '' || url.password !== '') {
    throw invalid(raw, 'credentials do not belong in the URL', 'Use Application Default Credentials (gcloud auth application-default login) or &keyFile=/path/key.json.');
  }
  if (url.port !== '') throw invalid(raw, 'a gs URL names a bucket, not a host and port', 'Put the host in ?endpoint=http://host:port.');
  if (url.hash !== '') throw invalid(raw, 'a gs URL takes no #fragment');
  const bucket = url.hostname;
  if (!GCS_BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw invalid(raw, `"${bucket}" is not a valid bucket name`, 'Bucket names have 3 to 63 lowercase letters, digits, dots, hyphens and underscores.');
  }
  const location: Extract<StoreLocation, { kind: 'gcs' }> = { kind: 'gcs', bucket, prefix: decodePrefix(raw, url.pathname), url: '' };
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'endpoint':
        location.endpoint = parseEndpoint(raw, value);
        break;
      case 'project':
        if (!PROJECT_ID.test(value)) throw invalid(raw, `"${value}" is not a Google Cloud project id`);
        location.project = value;
        break;
      case 'keyFile':
        if (!isAbsolute(value)) throw invalid(raw, `keyFile "${value}" must be an absolute path`);
        location.keyFile = value;
        break;
      default:
        if (!readCommonParameter(raw, location, name, value)) {
          throw invalid(raw, `"${name}" is not a known parameter (known: ${[...GS_PARAMETERS, ...COMMON_PARAMETERS].join(', ')})`);
        }
    }
  }
  const path = location.prefix === '' ? '' : `/${location.prefix.split('/').map(encodeURIComponent).join('/')}`;
  const query = GS_PARAMETERS.flatMap((name) => {
    const value = location[name];
    return value === undefined ? [] : [`${name}=${encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%2F/gi, '/')}`];
  });
  location.url = `gs://${bucket}${path}${query.length === 0 ? '' : `?${query.join('&')}`}${commonQuery(location, query.length > 0)}`;
  return location;
}

function decodePrefix(raw: string, pathname: string): string {
  const path = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return '';
  let decoded: string;
  try {
    decoded = path.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw invalid(raw, 'its path is not valid percent-encoding');
  }
  const prefix = `${decoded}/`;
  try {
    validatePrefix(prefix);
  } catch (error) {
    throw invalid(raw, error instanceof Error ? error.message.replace(/\.$/, '') : 'its prefix is invalid');
  }
  return prefix;
}

function parseEndpoint(raw: string, value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw invalid(raw, `endpoint "${value}" is not a URL`, 'Write it as http://host:port or https://host.');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw invalid(raw, `endpoint "${value}" must start with http:// or https://`);
  }
  if (endpoint.username !== '' || endpoint.password !== '') throw invalid(raw, 'credentials do not belong in the endpoint');
  return endpoint.href.replace(/\/$/, '');
}

function canonicalS3Url(location: Extract<StoreLocation, { kind: 's3' }>): string {
  const path = location.prefix === '' ? '' : `/${location.prefix.split('/').map(encodeURIComponent).join('/')}`;
  const query = S3_PARAMETERS.flatMap((name) => {
    const value = location[name];
    // ':' and '/' are safe in a query; leaving them makes the endpoint readable.
    return value === undefined ? [] : [`${name}=${encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%2F/gi, '/')}`];
  });
  return `s3://${location.bucket}${path}${query.length === 0 ? '' : `?${query.join('&')}`}${commonQuery(location, query.length > 0)}`;
}

/** Reads `mode` or `inline-below` into `into`; false for any other parameter name. */
function readCommonParameter(raw: string, into: CommonParameters, name: string, value: string): boolean {
  if (name === 'mode') {
    if (value !== 'tiered' && value !== 'direct') throw invalid(raw, `mode must be tiered or direct, not "${value}"`);
    if (value === 'direct') into.mode = 'direct';
    else delete into.mode;
    return true;
  }
  if (name === 'inline-below') {
    const bytes = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(bytes)) throw invalid(raw, `inline-below must be a number of bytes, not "${value}"`);
    into.inlineBelowBytes = bytes;
    return true;
  }
  return false;
}

/** The common parameters in canonical form, after any others (`&`) or as the whole query (`?`). */
function commonQuery(parameters: CommonParameters, afterOthers: boolean): string {
  const parts = [
    ...(parameters.mode === undefined ? [] : [`mode=${parameters.mode}`]),
    ...(parameters.inlineBelowBytes === undefined ? [] : [`inline-below=${parameters.inlineBelowBytes}`]),
  ];
  if (parts.length === 0) return '';
  return `${afterOthers ? '&' : '?'}${parts.join('&')}`;
}

function invalid(raw: string, reason: string, hint?: string): TierdropError {
  return new TierdropError('invalid_input', `The destination "${raw}" is not usable: ${reason}.`, {
    hint: hint ?? `Write it like ${EXAMPLES}.`,
  });
}
