// The pure parts of core/backends: destination URLs, keys, and how S3 failures read to a person.
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  FsBackend,
  joinKey,
  keyProblem,
  mapS3Error,
  openStore,
  parseStoreUrl,
  S3Backend,
  validatePrefix,
} from '../../core/backends/index.js';
import { fsError, validateFsKey } from '../../core/backends/fs/index.js';
import { MissingCredentialsError } from '../../core/backends/s3/index.js';
import { isTierdropError, TierdropError } from '../../core/errors/index.js';

function thrown(run: () => unknown): TierdropError {
  try {
    run();
  } catch (error) {
    if (isTierdropError(error)) return error;
    throw error;
  }
  throw new Error('expected a TierdropError');
}

describe('parseStoreUrl', () => {
  it('reads a file URL as an absolute folder with no prefix', () => {
    expect(parseStoreUrl('file:///srv/backup')).toEqual({ kind: 'fs', root: '/srv/backup', prefix: '', url: 'file:///srv/backup' });
    expect(parseStoreUrl('file:///srv/backup/')).toMatchObject({ root: '/srv/backup', url: 'file:///srv/backup' });
    expect(parseStoreUrl('file://localhost/srv/with%20space')).toMatchObject({ root: '/srv/with space', url: 'file:///srv/with%20space' });
  });

  it.each([
    ['file:relative/dir', 'absolute folder'],
    ['file://relative/dir', ''],
    ['file:///srv/backup?x=1', 'no ?query'],
    ['file:///srv/a%2Fb', ''],
  ])('refuses the file URL %s', (url, reason) => {
    const error = thrown(() => parseStoreUrl(url));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(reason);
  });

  it('reads an s3 URL: bucket, prefix ending in "/", endpoint, region, checksum', () => {
    expect(parseStoreUrl('s3://photos')).toEqual({ kind: 's3', bucket: 'photos', prefix: '', url: 's3://photos' });
    expect(parseStoreUrl('s3://photos/')).toMatchObject({ prefix: '', url: 's3://photos' });
    expect(parseStoreUrl('s3://photos/2024/trip')).toMatchObject({ prefix: '2024/trip/', url: 's3://photos/2024/trip/' });
    expect(parseStoreUrl('s3://photos/2024/trip/')).toMatchObject({ prefix: '2024/trip/' });
    expect(parseStoreUrl('s3://photos/my%20trip/caf%C3%A9')).toMatchObject({ prefix: 'my trip/café/', url: 's3://photos/my%20trip/caf%C3%A9/' });
    expect(parseStoreUrl('s3://photos/p?region=eu-west-1&checksum=none&endpoint=http://127.0.0.1:9000')).toEqual({
      kind: 's3',
      bucket: 'photos',
      prefix: 'p/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      checksum: 'none',
      url: 's3://photos/p/?endpoint=http://127.0.0.1:9000&region=eu-west-1&checksum=none',
    });
    expect(parseStoreUrl(`s3://photos?endpoint=${encodeURIComponent('https://minio.local/')}`)).toMatchObject({ endpoint: 'https://minio.local' });
  });

  it.each([
    ['s3://Bad_Bucket', 'not a valid bucket name'],
    ['s3://ab', 'not a valid bucket name'],
    ['s3://key:secret@photos', 'credentials do not belong in the URL'],
    ['s3://photos:9000/x', 'not a host and port'],
    ['s3://photos/a//b', 'empty path segment'],
    ['s3://photos/a%2F%2Fb', 'empty path segment'],
    ['s3://photos?endpoint=ftp://x', 'http:// or https://'],
    ['s3://photos?endpoint=nope', 'not a URL'],
    ['s3://photos?checksum=md5', 'checksum must be crc32 or none'],
    ['s3://photos?bucket=x', '"bucket" is not a known parameter'],
    ['s3://photos?region=Not%20A%20Region', 'not a region name'],
    ['/just/a/path', 'not a URL'],
  ])('refuses %s', (url, reason) => {
    const error = thrown(() => parseStoreUrl(url));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(reason);
    expect(error.hint).toBeTruthy();
  });
});

describe('openStore', () => {
  it('opens a local folder', async () => {
    const store = openStore('file:///tmp/tierdrop-never-created', {});
    expect(store.backend).toBeInstanceOf(FsBackend);
    expect(store.prefix).toBe('');
    expect(store.backend.description).toContain('/tmp/tierdrop-never-created');
    await store.backend.dispose();
  });

  it('opens an S3 bucket with the URL prefix', async () => {
    const store = openStore('s3://photos/trip?endpoint=http://127.0.0.1:9&checksum=none', { checksum: 'crc32', maxSockets: 4 });
    expect(store.backend).toBeInstanceOf(S3Backend);
    expect(store.prefix).toBe('trip/');
    expect(store.url).toBe('s3://photos/trip/?endpoint=http://127.0.0.1:9&checksum=none');
    expect(store.backend.description).toBe('s3://photos at http://127.0.0.1:9');
    await store.backend.dispose();
  });
});

describe('keys', () => {
  it.each([
    ['', 'empty'],
    ['/abs', 'starts with "/"'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['a/../b', '".." path segment'],
    ['./a', '"." path segment'],
    ['a\0b', 'NUL'],
    ['x'.repeat(1025), 'longer than 1024 bytes'],
  ])('refuses %j', (key, reason) => {
    expect(keyProblem(key)).toContain(reason);
  });

  it.each(['a', 'a/b/c.txt', '.hidden', 'a..b', 'with space/ü €', 'back\\slash'])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeNull();
  });

  it('joins a relative OS path under a prefix with "/" separators', () => {
    expect(joinKey('', 'a/b.txt', '/')).toBe('a/b.txt');
    expect(joinKey('backup/', 'photos\\2024\\cat.jpg', '\\')).toBe('backup/photos/2024/cat.jpg');
    expect(joinKey('backup/', 'mixed/sep\\file', '\\')).toBe('backup/mixed/sep/file');
    // On POSIX a backslash is part of a file name.
    expect(joinKey('', 'odd\\name', '/')).toBe('odd\\name');
  });

  it('gives a file one key whichever OS named it (NFC)', () => {
    const decomposed = 'cafe\u0301.txt';
    expect(joinKey('', decomposed, '/')).toBe('caf\u00e9.txt');
  });

  it.each([
    ['', '../escape.txt'],
    ['', '/etc/passwd'],
    ['', ''],
    ['p/', 'a//b'],
  ])('refuses to join %j and %j', (prefix, path) => {
    expect(thrown(() => joinKey(prefix, path, '/')).code).toBe('invalid_input');
  });

  it('checks prefixes', () => {
    expect(() => validatePrefix('')).not.toThrow();
    expect(() => validatePrefix('a/b/')).not.toThrow();
    expect(thrown(() => validatePrefix('a/b')).message).toContain('does not end with "/"');
  });

  it('keeps .tierdrop/ to the local folder backend, in any letter case', () => {
    expect(thrown(() => validateFsKey('.tierdrop/x', 'write')).code).toBe('invalid_input');
    expect(thrown(() => validateFsKey('.TIERDROP', 'write')).code).toBe('invalid_input');
    expect(() => validateFsKey('sub/.tierdrop/x', 'write')).not.toThrow();
  });

  it('refuses names Windows cannot hold, on Windows', () => {
    expect(thrown(() => validateFsKey('a:b', 'write', 'win32')).code).toBe('invalid_input');
    expect(() => validateFsKey('a:b', 'write', 'linux')).not.toThrow();
  });
});

describe('mapS3Error', () => {
  const context = { operation: 'upload', key: 'photos/cat.jpg', bucket: 'vault', endpoint: 'http://127.0.0.1:9000' };

  function serviceError(name: string, httpStatusCode: number, message = `${name} happened`): S3ServiceException {
    return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
  }

  function systemError(code: string, message = `connect ${code} 127.0.0.1:9000`): Error {
    return Object.assign(new Error(message), { code, $metadata: { attempts: 1 } });
  }

  function named(name: string, message: string): Error {
    const error = new Error(message);
    error.name = name;
    return error;
  }

  it.each([
    ['NoSuchBucket', serviceError('NoSuchBucket', 404), 'not_found', false],
    ['NoSuchKey', serviceError('NoSuchKey', 404), 'not_found', false],
    ['NotFound (HEAD)', serviceError('NotFound', 404), 'not_found', false],
    ['NoSuchUpload', serviceError('NoSuchUpload', 404), 'not_found', false],
    ['InvalidAccessKeyId', serviceError('InvalidAccessKeyId', 403), 'invalid_credentials', false],
    ['SignatureDoesNotMatch', serviceError('SignatureDoesNotMatch', 403), 'invalid_credentials', false],
    ['ExpiredToken', serviceError('ExpiredToken', 400), 'invalid_credentials', false],
    ['AccessDenied', serviceError('AccessDenied', 403), 'access_denied', false],
    ['a bare 403', serviceError('Forbidden', 403), 'access_denied', false],
    ['a 403 with an unknown code', serviceError('SomethingNew', 403), 'access_denied', false],
    ['PreconditionFailed', serviceError('PreconditionFailed', 412), 'conflict', false],
    ['ConditionalRequestConflict', serviceError('ConditionalRequestConflict', 409), 'conflict', false],
    ['SlowDown', serviceError('SlowDown', 503), 'store_error', true],
    ['InternalError', serviceError('InternalError', 500), 'store_error', true],
    ['RequestTimeout', serviceError('RequestTimeout', 400), 'store_error', true],
    ['an unknown 5xx', serviceError('Weird', 502), 'store_error', true],
    // S3's 200 + <Error>: the SDK rewrites the status to 503, the code must still decide.
    ['InvalidPart in a 200', serviceError('InvalidPart', 503), 'invalid_input', false],
    ['InvalidPartOrder', serviceError('InvalidPartOrder', 400), 'invalid_input', false],
    ['EntityTooSmall', serviceError('EntityTooSmall', 400), 'invalid_input', false],
    ['AbortError', named('AbortError', 'Request aborted'), 'paused', true],
    ['ECONNREFUSED', systemError('ECONNREFUSED'), 'unreachable', true],
    ['ENOTFOUND', systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND minio.local'), 'unreachable', true],
    ['EAI_AGAIN', systemError('EAI_AGAIN'), 'unreachable', true],
    ['ECONNRESET', systemError('ECONNRESET', 'read ECONNRESET'), 'store_error', true],
    ['EPIPE', systemError('EPIPE', 'write EPIPE'), 'store_error', true],
    ['ETIMEDOUT', systemError('ETIMEDOUT'), 'store_error', true],
    ['socket hang up', new Error('socket hang up'), 'store_error', true],
    ['TimeoutError', named('TimeoutError', 'Connection timed out after 10000 ms'), 'store_error', true],
    ['missing credentials', new MissingCredentialsError(['environment variables: none']), 'invalid_credentials', false],
    ['an unknown error', new Error('something odd'), 'store_error', true],
  ])('%s', (_title, error, code, retryable) => {
    const mapped = mapS3Error(error, context);
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code, retryable });
    expect(mapped.message).toContain('Cannot upload "photos/cat.jpg" in s3://vault');
    expect(mapped.cause).toBe(error);
  });

  it('says which bucket is missing where, and what to do', () => {
    const mapped = mapS3Error(serviceError('NoSuchBucket', 404), context);
    expect(mapped.message).toContain('bucket vault does not exist at http://127.0.0.1:9000');
    expect(mapped.hint).toContain('Create the bucket');
  });

  it('names the endpoint that did not answer', () => {
    expect(mapS3Error(systemError('ECONNREFUSED'), context).message).toContain('http://127.0.0.1:9000 did not answer');
  });

  it('finds a system error code on a wrapped cause', () => {
    const wrapped = new Error('request failed', { cause: systemError('ECONNREFUSED') });
    expect(mapS3Error(wrapped, context).code).toBe('unreachable');
  });

  it.each([
    ['an unparseable XML body', named('Error', '@aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response…')],
    ['an HTML error page', serviceError('Unknown', 500, 'UnknownError')],
  ])('reports %s as something that is not S3', (_title, error) => {
    const mapped = mapS3Error(error, context);
    expect(mapped).toMatchObject({ code: 'store_error', retryable: true });
    expect(mapped.message).toContain('the store answered something that is not S3');
  });

  it('passes TierdropErrors through', () => {
    const original = new TierdropError('disk_full', 'full');
    expect(mapS3Error(original, context)).toBe(original);
  });

  it('leaves the key out of bucket-wide operations', () => {
    const { key: _key, ...bucketWide } = context;
    expect(mapS3Error(serviceError('AccessDenied', 403), { ...bucketWide, operation: 'list' }).message).toMatch(/^Cannot list s3:\/\/vault: /);
  });
});

describe('fsError', () => {
  const context = { operation: 'write', key: 'photos/cat.jpg', root: '/media/backup' };
  const systemError = (code: string) => Object.assign(new Error(`${code}: something`), { code });

  it.each([
    ['ENOSPC', 'disk_full', true, 'Free some space on the disk that holds /media/backup'],
    ['EDQUOT', 'disk_full', true, 'Free some space'],
    ['EACCES', 'access_denied', false, 'permission on /media/backup'],
    ['EPERM', 'access_denied', false, 'permission on /media/backup'],
    ['EROFS', 'access_denied', false, 'writable disk'],
    ['ENOTDIR', 'conflict', false, 'Rename or move the file'],
    ['EISDIR', 'conflict', false, 'Rename or move the folder'],
    ['EBUSY', 'store_error', true, 'Close the program'],
    ['EIO', 'store_error', true, 'Check the disk'],
  ])('%s is %s', (code, expected, retryable, hint) => {
    const mapped = fsError(systemError(code), context);
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code: expected, retryable });
    expect(mapped.message).toContain('Cannot write "photos/cat.jpg" in /media/backup');
    expect(mapped.hint).toContain(hint);
  });

  it('an aborted write is paused', () => {
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(fsError(aborted, context)).toMatchObject({ code: 'paused', retryable: true });
  });
});
