// The S3 protocol test server, driven by the real AWS SDK v3 client (and by raw HTTP where the SDK
// cannot misbehave on purpose): objects, ranges, listings, multipart, S3's error answers, SigV4,
// conditional writes, aws-chunked trailers, fault injection, throttling and the serve.ts CLI.
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompleteMultipartUploadCommandInput,
  type CompletedPart,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { startS3TestServer, type S3TestServer, type S3TestServerOptions } from '../support/s3-server/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'bucket';
const ACCESS_KEY_ID = 'tierdrop-test';
const SECRET = 'tierdrop-test-secret';
const MIN_PART_BYTES = 64 * KiB; // small parts keep multipart tests fast
const REPO_ROOT = join(import.meta.dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Harness: every test gets a fresh data folder and server; both go away after it.

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tierdrop-s3-server-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(options: Partial<S3TestServerOptions> = {}): Promise<{ server: S3TestServer; s3: S3Client }> {
  const dataDir = options.dataDir ?? (await tempDir());
  const server = await startS3TestServer({ buckets: [BUCKET], minPartBytes: MIN_PART_BYTES, ...options, dataDir });
  cleanups.push(() => server.close());
  return { server, s3: client(server.endpoint) };
}

function client(endpoint: string, credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }): S3Client {
  const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials, maxAttempts: 1 });
  cleanups.push(async () => s3.destroy());
  return s3;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** Deterministic, incompressible content. */
function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(String(seed)).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString('base64');
}

/** A one-shot stream body in 64 KiB pieces: the SDK sends it aws-chunked with a CRC32 trailer. */
function streamOf(data: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 64 * KiB) pieces.push(data.subarray(offset, offset + 64 * KiB));
  return Readable.from(pieces);
}

// ---------------------------------------------------------------------------------------------
// S3 calls, shortened

function put(s3: S3Client, key: string, body: Buffer | string, extra: Partial<PutObjectCommandInput> = {}) {
  return s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body), ...extra }));
}

async function getBytes(s3: S3Client, key: string, range?: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
}

function list(s3: S3Client, input: Partial<ListObjectsV2CommandInput> = {}): Promise<ListObjectsV2CommandOutput> {
  return s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input }));
}

function sendPart(s3: S3Client, key: string, uploadId: string, partNumber: number, data: Buffer, signal?: AbortSignal) {
  return s3.send(
    new UploadPartCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: streamOf(data),
      ContentLength: data.length,
    }),
    signal === undefined ? {} : { abortSignal: signal },
  );
}

function complete(
  s3: S3Client,
  key: string,
  uploadId: string,
  parts: CompletedPart[],
  extra: Partial<CompleteMultipartUploadCommandInput> = {},
) {
  return s3.send(
    new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...extra }),
  );
}

async function createUpload(s3: S3Client, key: string, checksum = false): Promise<string> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ...(checksum ? { ChecksumAlgorithm: 'CRC32' } : {}) }),
  );
  return created.UploadId ?? '';
}

/** Creates an upload and sends `parts` as streams; the parts come back ready for complete. */
async function multipart(
  s3: S3Client,
  key: string,
  parts: Buffer[],
  options: { checksum?: boolean } = {},
): Promise<{ uploadId: string; completed: CompletedPart[] }> {
  const uploadId = await createUpload(s3, key, options.checksum === true);
  const completed: CompletedPart[] = [];
  for (const [index, part] of parts.entries()) {
    const answer = await sendPart(s3, key, uploadId, index + 1, part);
    completed.push({
      PartNumber: index + 1,
      ETag: answer.ETag,
      ...(options.checksum === true ? { ChecksumCRC32: answer.ChecksumCRC32 } : {}),
    });
  }
  return { uploadId, completed };
}

/** The S3 error a request fails with: the SDK's name for it (S3's Code) and the HTTP status. */
async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return { name: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('expected the request to fail');
}

async function expectS3Error(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  expect(await s3Error(promise)).toEqual({ name, status });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP, signed by the SDK's own SigV4 signer

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

const signer = new SignatureV4({
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  region: 'us-east-1',
  service: 's3',
  sha256: NodeSha256,
  uriEscapePath: false,
});

/** SigV4 headers for a request; x-amz-content-sha256 defaults to UNSIGNED-PAYLOAD. */
async function signedHeaders(endpoint: string, method: string, pathAndQuery: string, headers: Record<string, string>) {
  const url = new URL(endpoint);
  const [path = '/', rawQuery = ''] = pathAndQuery.split('?');
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
  });
  return signed.headers;
}

/** One exchange over node:http; `sign: false` sends it anonymous. */
async function raw(
  endpoint: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; sign?: boolean },
): Promise<RawAnswer> {
  const url = new URL(endpoint);
  let headers: Record<string, string> = { host: url.host, ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['content-length'] = String(options.body.length);
  if (options.sign !== false) headers = await signedHeaders(endpoint, options.method, options.path, headers);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: options.method, path: options.path, headers }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (chunk: Buffer) => pieces.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(pieces).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

// ---------------------------------------------------------------------------------------------

describe('S3 test server: objects', () => {
  it('round-trips an object through put, get, head and delete', async () => {
    const { s3 } = await start();
    const data = bytes(3 * MiB + 17, 1);
    const key = 'dir/a file+name.bin';

    const stored = await put(s3, key, data, { ContentType: 'application/x-test', Metadata: { origin: 'test' } });
    expect(stored.ETag).toBe(`"${md5(data)}"`);
    expect(stored.ChecksumCRC32).toBe(crc32Base64(data));
    expect(sha256(await getBytes(s3, key))).toBe(sha256(data));

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(data.length);
    expect(head.ContentType).toBe('application/x-test');
    expect(head.Metadata).toEqual({ origin: 'test' });
    expect(head.ETag).toBe(stored.ETag);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await expectS3Error(getBytes(s3, key), 'NoSuchKey', 404);
    // HEAD errors have no body, so the SDK can only name the status.
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), 'NotFound', 404);
    // Deleting what is not there succeeds, as on S3.
    const again = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('stores a streamed (aws-chunked, CRC32 trailer) body byte for byte', async () => {
    const { s3, server } = await start();
    const data = bytes(2 * MiB + 5, 2);
    const stored = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed', Body: streamOf(data), ContentLength: data.length }),
    );
    expect(stored.ChecksumCRC32).toBe(crc32Base64(data));
    expect(sha256(await getBytes(s3, 'streamed'))).toBe(sha256(data));
    expect(server.stats().objectBytesReceived).toBe(data.length);
  });

  it('answers ranged gets with 206 and the asked bytes, and 416 past the end', async () => {
    const { s3 } = await start();
    const data = bytes(100 * KiB, 3);
    await put(s3, 'ranged', data);

    const middle = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged', Range: 'bytes=1000-1999' }));
    expect(middle.$metadata.httpStatusCode).toBe(206);
    expect(middle.ContentRange).toBe(`bytes 1000-1999/${data.length}`);
    expect(Buffer.from((await middle.Body?.transformToByteArray()) ?? [])).toEqual(data.subarray(1000, 2000));

    expect(await getBytes(s3, 'ranged', 'bytes=-10')).toEqual(data.subarray(data.length - 10));
    expect(await getBytes(s3, 'ranged', `bytes=${data.length - 5}-`)).toEqual(data.subarray(data.length - 5));
    await expectS3Error(getBytes(s3, 'ranged', `bytes=${data.length}-`), 'InvalidRange', 416);
  });

  it('lists with prefix, delimiter, start-after and continuation tokens', async () => {
    const { s3 } = await start();
    const keys = ['a/1', 'a/2', 'a/sub/3', 'b/1', 'c', 'd', 'é', '😀'];
    for (const key of keys) await put(s3, key, key);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await list(s3, { MaxKeys: 3, ContinuationToken: token });
      pages += 1;
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      seen.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys); // UTF-8 byte order: 'é' (C3 A9) before '😀' (F0 …)

    const rolled = await list(s3, { Delimiter: '/' });
    expect(rolled.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['a/', 'b/']);
    expect(rolled.Contents?.map((object) => object.Key)).toEqual(['c', 'd', 'é', '😀']);
    expect(rolled.KeyCount).toBe(6);

    const underA = await list(s3, { Prefix: 'a/', Delimiter: '/' });
    expect(underA.Contents?.map((object) => object.Key)).toEqual(['a/1', 'a/2']);
    expect(underA.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['a/sub/']);

    // Pages of one entry each, rolling up, never repeat a common prefix.
    const entries: string[] = [];
    token = undefined;
    do {
      const page = await list(s3, { Delimiter: '/', MaxKeys: 1, ContinuationToken: token });
      entries.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix ?? ''));
      entries.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(entries).toEqual(['a/', 'b/', 'c', 'd', 'é', '😀']);

    const after = await list(s3, { StartAfter: 'b/1' });
    expect(after.Contents?.map((object) => object.Key)).toEqual(['c', 'd', 'é', '😀']);
  });

  it('lists the V1 way too, resuming from markers', async () => {
    const { s3 } = await start();
    for (const key of ['a/1', 'a/2', 'b', 'c']) await put(s3, key, key);
    const first = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 }));
    expect(first.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['a/']);
    expect(first.Contents?.map((object) => object.Key)).toEqual(['b']);
    expect(first.IsTruncated).toBe(true);
    const rest = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', Marker: first.NextMarker }));
    expect(rest.Contents?.map((object) => object.Key)).toEqual(['c']);
    expect(rest.IsTruncated).toBe(false);
  });

  it('deletes a batch of keys with DeleteObjects', async () => {
    const { s3 } = await start();
    for (const key of ['x1', 'x2', 'x3']) await put(s3, key, key);
    const answer = await s3.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'x1' }, { Key: 'x3' }, { Key: 'missing' }] } }),
    );
    expect(answer.Deleted?.map((deleted) => deleted.Key)).toEqual(['x1', 'x3', 'missing']);
    expect((await list(s3)).Contents?.map((object) => object.Key)).toEqual(['x2']);
  });

  it('answers NoSuchBucket for a bucket that does not exist', async () => {
    const { s3 } = await start();
    await expectS3Error(put(s3, 'k', 'x', { Bucket: 'nope' }), 'NoSuchBucket', 404);
  });
});

describe('S3 test server: buckets', () => {
  it("creates, heads, lists and deletes buckets with S3's answers", async () => {
    const { s3 } = await start();
    const second = 'second-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: second }));
    expect((await s3.send(new HeadBucketCommand({ Bucket: second }))).$metadata.httpStatusCode).toBe(200);
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: second })), 'BucketAlreadyOwnedByYou', 409);
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toEqual([BUCKET, second]);

    await put(s3, 'k', 'x', { Bucket: second });
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: second })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: second, Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: second }));
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: second })), 'NotFound', 404);
  });
});

describe('S3 test server: multipart uploads', () => {
  it('assembles parts sent with checksum trailers, and lists parts and uploads on the way', async () => {
    const { s3, server } = await start();
    const key = 'big/file.bin';
    const parts = [bytes(MIN_PART_BYTES, 10), bytes(MIN_PART_BYTES + 3, 11), bytes(1000, 12)];
    const { uploadId, completed } = await multipart(s3, key, parts);

    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'big/' }));
    expect(uploads.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([[key, uploadId]]);

    const firstPage = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MaxParts: 2 }));
    expect(firstPage.IsTruncated).toBe(true);
    expect(firstPage.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag, part.ChecksumCRC32])).toEqual(
      parts.slice(0, 2).map((part, index) => [index + 1, part.length, `"${md5(part)}"`, crc32Base64(part)]),
    );
    const secondPage = await s3.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumberMarker: firstPage.NextPartNumberMarker }),
    );
    expect(secondPage.IsTruncated).toBe(false);
    expect(secondPage.Parts?.map((part) => part.PartNumber)).toEqual([3]);

    const done = await complete(s3, key, uploadId, completed);
    const partMd5s = Buffer.concat(parts.map((part) => createHash('md5').update(part).digest()));
    expect(done.ETag).toBe(`"${md5(partMd5s)}-3"`);

    const whole = Buffer.concat(parts);
    expect(sha256(await getBytes(s3, key))).toBe(sha256(whole));
    // A range across the boundary of parts 1 and 2.
    const across = await getBytes(s3, key, `bytes=${MIN_PART_BYTES - 10}-${MIN_PART_BYTES + 9}`);
    expect(across).toEqual(whole.subarray(MIN_PART_BYTES - 10, MIN_PART_BYTES + 10));
    // One part by number, as a parallel downloader asks for it.
    const second = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2 }));
    expect(second.PartsCount).toBe(3);
    expect(second.ContentRange).toBe(`bytes ${MIN_PART_BYTES}-${2 * MIN_PART_BYTES + 2}/${whole.length}`);
    expect(Buffer.from((await second.Body?.transformToByteArray()) ?? [])).toEqual(parts[1]);

    const stats = server.stats();
    expect(stats.partBytesStored).toBe(whole.length);
    expect(stats.partBytesReceived).toBe(whole.length);
    expect(stats.requests.UploadPart).toBe(3);
    expect(stats.inFlightParts).toBe(0);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toEqual([]);
  });

  it('pages through multipart uploads by key and upload id markers', async () => {
    const { s3 } = await start();
    const ids = [await createUpload(s3, 'same'), await createUpload(s3, 'same'), await createUpload(s3, 'z/other')];
    const seen: [string, string][] = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (let page = 0; page < 5; page++) {
      const answer = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, MaxUploads: 1, ...markers }));
      seen.push(...(answer.Uploads ?? []).map((upload): [string, string] => [upload.Key ?? '', upload.UploadId ?? '']));
      if (answer.IsTruncated !== true) break;
      markers = { KeyMarker: answer.NextKeyMarker, UploadIdMarker: answer.NextUploadIdMarker };
    }
    expect(seen).toEqual([
      ['same', ids[0]],
      ['same', ids[1]],
      ['z/other', ids[2]],
    ]);
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['z/']);
    expect(rolled.Uploads?.map((upload) => upload.Key)).toEqual(['same', 'same']);
  });

  it('keeps CRC32 part checksums for uploads created with a checksum algorithm', async () => {
    const { s3 } = await start();
    const parts = [bytes(MIN_PART_BYTES, 20), bytes(10, 21)];
    const { uploadId, completed } = await multipart(s3, 'checked', parts, { checksum: true });

    const wrong = completed.map((part, index) => (index === 0 ? { ...part, ChecksumCRC32: 'AAAAAA==' } : part));
    await expectS3Error(complete(s3, 'checked', uploadId, wrong), 'InvalidPart', 400);

    const done = await complete(s3, 'checked', uploadId, completed);
    const composite = crc32Base64(Buffer.concat(parts.map((part) => Buffer.from(crc32Base64(part), 'base64'))));
    expect(done.ChecksumCRC32).toBe(`${composite}-2`);
    expect(sha256(await getBytes(s3, 'checked'))).toBe(sha256(Buffer.concat(parts)));
  });

  it('aborts an upload: it leaves the listing and its parts are gone', async () => {
    const { s3 } = await start();
    const { uploadId } = await multipart(s3, 'aborted', [bytes(MIN_PART_BYTES, 30)]);
    const abort = () => s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: uploadId }));
    await abort();
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toEqual([]);
    await expectS3Error(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: uploadId })), 'NoSuchUpload', 404);
    await expectS3Error(abort(), 'NoSuchUpload', 404);
  });

  it("refuses completes that break S3's rules, with S3's codes and statuses", async () => {
    const { s3 } = await start();
    const parts = [bytes(MIN_PART_BYTES, 40), bytes(MIN_PART_BYTES, 41), bytes(100, 42)];
    const { uploadId, completed } = await multipart(s3, 'rules', parts);
    const [one, two, three] = completed;
    if (one === undefined || two === undefined || three === undefined) throw new Error('three parts expected');
    const refuse = (partsToSend: CompletedPart[], name: string, status: number, id = uploadId) =>
      expectS3Error(complete(s3, 'rules', id, partsToSend), name, status);

    await refuse([two, one, three], 'InvalidPartOrder', 400);
    await refuse([one, { ...two, ETag: `"${md5(Buffer.from('other'))}"` }, three], 'InvalidPart', 400);
    await refuse([one, { ...two, PartNumber: 7 }], 'InvalidPart', 400);
    await refuse([one, three, { PartNumber: 4, ETag: two.ETag }], 'InvalidPart', 400);

    // Part 3 is below the minimum; it may only be the last part.
    const fourth = await sendPart(s3, 'rules', uploadId, 4, bytes(MIN_PART_BYTES, 43));
    await refuse([one, two, three, { PartNumber: 4, ETag: fourth.ETag }], 'EntityTooSmall', 400);

    await refuse([one], 'NoSuchUpload', 404, 'no-such-upload-id');

    // None of the refusals used the upload up.
    await complete(s3, 'rules', uploadId, completed);
    await refuse(completed, 'NoSuchUpload', 404);
  });
});

describe('S3 test server: conditional requests', () => {
  it('answers 412 to If-None-Match: * on an existing key and to a stale or absent If-Match', async () => {
    const { s3 } = await start();
    const first = await put(s3, 'cas', 'v1', { IfNoneMatch: '*' });
    await expectS3Error(put(s3, 'cas', 'v2', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);

    const second = await put(s3, 'cas', 'v2', { IfMatch: first.ETag });
    expect(second.ETag).toBe(`"${md5(Buffer.from('v2'))}"`);
    await expectS3Error(put(s3, 'cas', 'v3', { IfMatch: first.ETag }), 'PreconditionFailed', 412);
    await expectS3Error(put(s3, 'absent', 'v1', { IfMatch: first.ETag }), 'PreconditionFailed', 412);
    expect((await getBytes(s3, 'cas')).toString()).toBe('v2');
  });

  it('answers conditional reads with 304 and 412', async () => {
    const { s3 } = await start();
    const stored = await put(s3, 'read-cas', 'v1');
    const get = (conditions: { IfNoneMatch?: string; IfMatch?: string }) =>
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'read-cas', ...conditions }));
    expect((await s3Error(get({ IfNoneMatch: stored.ETag }))).status).toBe(304);
    await expectS3Error(get({ IfMatch: '"0000"' }), 'PreconditionFailed', 412);
    expect(await (await get({ IfMatch: stored.ETag })).Body?.transformToString()).toBe('v1');
  });

  it('applies If-None-Match to CompleteMultipartUpload', async () => {
    const { s3 } = await start();
    await put(s3, 'taken', 'already here');
    const { uploadId, completed } = await multipart(s3, 'taken', [bytes(100, 50)]);
    await expectS3Error(complete(s3, 'taken', uploadId, completed, { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    expect((await getBytes(s3, 'taken')).toString()).toBe('already here');
  });
});

describe('S3 test server: authentication', () => {
  it('refuses unknown access keys, wrong secrets and unsigned requests', async () => {
    const { server } = await start();
    const stranger = client(server.endpoint, { accessKeyId: 'nobody', secretAccessKey: SECRET });
    await expectS3Error(put(stranger, 'k', 'x'), 'InvalidAccessKeyId', 403);
    const forger = client(server.endpoint, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong' });
    await expectS3Error(getBytes(forger, 'k'), 'SignatureDoesNotMatch', 403);

    const anonymous = await raw(server.endpoint, { method: 'GET', path: `/${BUCKET}/k`, sign: false });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toContain('<Code>AccessDenied</Code>');
    expect(anonymous.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
  });

  it('accepts a presigned URL and refuses it once tampered with', async () => {
    const { s3, server } = await start();
    await put(s3, 'shared file', 'presigned bytes');
    const url = new URL(server.endpoint);
    // As @aws-sdk/s3-request-presigner does: S3 presigned URLs never sign the payload.
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: `/${BUCKET}/shared%20file`,
        query: {},
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { expiresIn: 60 },
    );
    const query = new URLSearchParams(Object.entries(presigned.query ?? {}).map(([name, value]) => [name, String(value)]));
    const answer = await fetch(`${server.endpoint}${presigned.path}?${query.toString()}`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('presigned bytes');

    query.set('X-Amz-Expires', '3600');
    const tampered = await fetch(`${server.endpoint}${presigned.path}?${query.toString()}`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('verifies a signed body against its x-amz-content-sha256', async () => {
    const { server } = await start();
    const body = Buffer.from('signed payload');
    const send = (claimed: Buffer) =>
      raw(server.endpoint, { method: 'PUT', path: `/${BUCKET}/signed`, headers: { 'x-amz-content-sha256': sha256(claimed) }, body });
    expect((await send(body)).status).toBe(200);
    const lying = await send(Buffer.from('something else'));
    expect(lying.status).toBe(400);
    expect(lying.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });
});

describe('S3 test server: request bodies', () => {
  function chunked(data: Buffer, trailer: string): Buffer {
    const head = Buffer.from(`${data.length.toString(16)}\r\n`);
    return Buffer.concat([head, data, Buffer.from(`\r\n0\r\n${trailer}\r\n\r\n`)]);
  }
  const chunkedHeaders = (decodedBytes: number): Record<string, string> => ({
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'x-amz-decoded-content-length': String(decodedBytes),
    'x-amz-trailer': 'x-amz-checksum-crc32',
  });

  it('answers BadDigest when the trailer checksum does not match, and stores nothing', async () => {
    const { s3, server } = await start();
    const data = bytes(10 * KiB, 60);
    const send = (trailerChecksum: string) =>
      raw(server.endpoint, {
        method: 'PUT',
        path: `/${BUCKET}/corrupt`,
        headers: chunkedHeaders(data.length),
        body: chunked(data, `x-amz-checksum-crc32:${trailerChecksum}`),
      });

    const corrupted = await send(crc32Base64(Buffer.from('not the data')));
    expect(corrupted.status).toBe(400);
    expect(corrupted.body).toContain('<Code>BadDigest</Code>');
    await expectS3Error(getBytes(s3, 'corrupt'), 'NoSuchKey', 404);

    const intact = await send(crc32Base64(data));
    expect(intact.status).toBe(200);
    expect(intact.headers['x-amz-checksum-crc32']).toBe(crc32Base64(data));
  });

  it('answers IncompleteBody when the chunks hold fewer bytes than declared', async () => {
    const { server } = await start();
    const data = bytes(1000, 61);
    const short = await raw(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/short`,
      headers: chunkedHeaders(data.length + 1),
      body: chunked(data, `x-amz-checksum-crc32:${crc32Base64(data)}`),
    });
    expect(short.status).toBe(400);
    expect(short.body).toContain('<Code>IncompleteBody</Code>');
  });

  it('answers IncompleteBody when a client ends its side before the promised Content-Length', async () => {
    const { server } = await start();
    const headers = await signedHeaders(server.endpoint, 'PUT', `/${BUCKET}/half`, { 'content-length': '1000' });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      const head = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`PUT /${BUCKET}/half HTTP/1.1\r\n${head}\r\n${'x'.repeat(10)}`);
      setTimeout(() => socket.end(), 100);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('<Code>IncompleteBody</Code>');
  });

  it('answers RequestTimeout to a body that stalls, and closes the connection', async () => {
    const { server } = await start({ requestTimeoutMs: 300 });
    const url = new URL(server.endpoint);
    const headers = await signedHeaders(server.endpoint, 'PUT', `/${BUCKET}/stalled`, { 'content-length': '1000' });
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'PUT', path: `/${BUCKET}/stalled`, headers }, (res) => {
        const pieces: Buffer[] = [];
        res.on('data', (chunk: Buffer) => pieces.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(pieces).toString() }));
      });
      req.on('error', reject);
      req.write('only ten b'); // and then nothing
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>RequestTimeout</Code>');
    expect(answer.headers.connection).toBe('close');
  });

  it('verifies the signature chain of a signed chunked body', async () => {
    const { s3, server } = await start();
    const data = bytes(20 * KiB, 62);
    const path = `/${BUCKET}/signed-chunks`;
    const send = async (tamper: boolean): Promise<RawAnswer> => {
      const headers = await signedHeaders(server.endpoint, 'PUT', path, {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(data.length),
      });
      // Each chunk signs its data's hash and the previous signature, starting from the request's.
      const amzDate = headers['x-amz-date'] ?? '';
      const day = amzDate.slice(0, 8);
      const scope = `${day}/us-east-1/s3/aws4_request`;
      const signingKey = [day, 'us-east-1', 's3', 'aws4_request'].reduce<Buffer>(
        (key, part) => createHmac('sha256', key).update(part).digest(),
        Buffer.from(`AWS4${SECRET}`),
      );
      let previous = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1] ?? '';
      const pieces: Buffer[] = [];
      for (const [index, chunk] of [data.subarray(0, 12 * KiB), data.subarray(12 * KiB), Buffer.alloc(0)].entries()) {
        const signedData = tamper && index === 0 ? Buffer.from(chunk).fill(0, 0, 1) : chunk;
        const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, sha256(Buffer.alloc(0)), sha256(signedData)];
        previous = createHmac('sha256', signingKey).update(stringToSign.join('\n')).digest('hex');
        pieces.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n'));
      }
      return raw(server.endpoint, { method: 'PUT', path, headers, body: Buffer.concat(pieces), sign: false });
    };

    const tampered = await send(true);
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await send(false)).status).toBe(200);
    expect(sha256(await getBytes(s3, 'signed-chunks'))).toBe(sha256(data));
  });
});

describe('S3 test server: fault injection', () => {
  it('fails an operation with errorRate 1 and stores nothing', async () => {
    const { s3, server } = await start({ faults: { errorRate: { PutObject: 1 } } });
    const data = bytes(100 * KiB, 70);
    await expectS3Error(put(s3, 'k', data), 'InternalError', 500);
    expect(server.stats().objectBytesReceived).toBe(data.length); // it read the body, then failed
    server.setFaults({});
    await expectS3Error(getBytes(s3, 'k'), 'NoSuchKey', 404);
  });

  it('fails exactly the nth requests with failNth, counting from setFaults', async () => {
    const { s3, server } = await start();
    server.setFaults({ failNth: [2] });
    await put(s3, 'one', 'one');
    await expectS3Error(put(s3, 'two', 'two'), 'InternalError', 500);
    await put(s3, 'three', 'three');
    server.setFaults({ failNth: [1] });
    await expectS3Error(put(s3, 'four', 'four'), 'InternalError', 500);
    expect(server.stats().requests.PutObject).toBe(4);
  });

  it('cuts the connection mid-body with resetRate: the client sees a socket error and nothing is stored', async () => {
    const { s3, server } = await start({ faults: { resetRate: { UploadPart: 1 } } });
    const uploadId = await createUpload(s3, 'reset');
    const part = bytes(4 * MiB, 71);
    const failure = await sendPart(s3, 'reset', uploadId, 1, part).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(S3ServiceException);
    expect(String((failure as NodeJS.ErrnoException).code ?? (failure as Error).message)).toMatch(/ECONNRESET|EPIPE|socket hang up/i);
    const stats = server.stats();
    expect(stats.partBytesReceived).toBeGreaterThan(0);
    expect(stats.partBytesReceived).toBeLessThan(part.length);
    expect(stats.partBytesStored).toBe(0);
    server.setFaults({});
    const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'reset', UploadId: uploadId }));
    expect(parts.Parts ?? []).toEqual([]);
  });

  it('stores nothing of a part whose client gives up half way', async () => {
    const { s3, server } = await start({ faults: { throttleBytesPerSec: 1 * MiB } });
    const uploadId = await createUpload(s3, 'paused');
    const controller = new AbortController();
    const sending = sendPart(s3, 'paused', uploadId, 1, bytes(2 * MiB, 74), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort();
    await expect(sending).rejects.toThrow();
    await waitFor(() => server.stats().inFlightParts === 0);
    const stats = server.stats();
    expect(stats.partBytesReceived).toBeGreaterThan(0);
    expect(stats.partBytesStored).toBe(0);
    expect(await readdir(join(server.dataDir, 'tmp'))).toEqual([]);
    server.setFaults({});
    const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'paused', UploadId: uploadId }));
    expect(parts.Parts ?? []).toEqual([]);
  });

  it('answers CompleteMultipartUpload with 200 and an <Error> body under completeErrorRate', async () => {
    const { s3, server } = await start();
    const { uploadId, completed } = await multipart(s3, 'flaky', [bytes(100, 72)]);
    server.setFaults({ completeErrorRate: 1 });

    const partsXml = completed.map((part) => `<Part><PartNumber>${part.PartNumber}</PartNumber><ETag>${part.ETag}</ETag></Part>`);
    const answer = await raw(server.endpoint, {
      method: 'POST',
      path: `/${BUCKET}/flaky?uploadId=${encodeURIComponent(uploadId)}`,
      body: Buffer.from(`<CompleteMultipartUpload>${partsXml.join('')}</CompleteMultipartUpload>`),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<Error><Code>InternalError</Code>');

    // The SDK turns such an answer into an error of that code.
    expect((await s3Error(complete(s3, 'flaky', uploadId, completed))).name).toBe('InternalError');

    // The upload survived both, so a retry completes it.
    server.setFaults({});
    await complete(s3, 'flaky', uploadId, completed);
    expect((await getBytes(s3, 'flaky')).length).toBe(100);
  });

  it('answers 501 NotImplemented for operations marked unsupported', async () => {
    const { s3 } = await start({ faults: { unsupported: ['AbortMultipartUpload'] } });
    const uploadId = await createUpload(s3, 'no-abort');
    const abort = s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'no-abort', UploadId: uploadId }));
    await expectS3Error(abort, 'NotImplemented', 501);
  });

  it('adds latency to every answer', async () => {
    const { s3 } = await start({ faults: { latencyMs: 150 } });
    const startedMs = Date.now();
    await list(s3);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(140);
  });

  it('throttles bodies, so a test can watch an upload half way', async () => {
    const { s3, server } = await start({ faults: { throttleBytesPerSec: 512 * KiB } });
    const uploadId = await createUpload(s3, 'slow');
    const part = bytes(1 * MiB, 73);
    const startedMs = Date.now();
    const sending = sendPart(s3, 'slow', uploadId, 1, part);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const midway = server.stats();
    expect(midway.inFlightParts).toBe(1);
    expect(midway.partBytesReceived).toBeGreaterThan(0);
    expect(midway.partBytesReceived).toBeLessThan(part.length);
    expect(midway.lastPartByteAtMs).not.toBeNull();
    await sending;
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1800);
    expect(server.stats().partBytesStored).toBe(part.length);
  });

  it('is steered over the admin surface', async () => {
    const { s3, server } = await start();
    const post = (path: string, body: unknown) =>
      fetch(`${server.endpoint}/__admin/${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('faults', { errorRate: { '*': 1 } })).status).toBe(200);
    await expectS3Error(list(s3), 'InternalError', 500);
    expect((await post('faults', { errorRate: { '*': 2 } })).status).toBe(400);
    expect((await post('faults', {})).status).toBe(200);
    await list(s3);

    const stats = (await (await fetch(`${server.endpoint}/__admin/stats`)).json()) as { requests: Record<string, number> };
    expect(stats.requests.ListObjectsV2).toBe(2);
    expect((await post('reset-stats', {})).status).toBe(200);
    expect(server.stats().requests).toEqual({});
  });
});

describe('S3 test server: durability', () => {
  it('serves what it stored after a restart and sweeps what a crash left behind', async () => {
    const dataDir = await tempDir();
    const first = await start({ dataDir });
    const data = bytes(300 * KiB, 80);
    await put(first.s3, 'kept', data);
    await put(first.s3, 'small', 'kept in its record');
    const { uploadId } = await multipart(first.s3, 'pending', [bytes(MIN_PART_BYTES, 81)]);
    await first.server.close();

    const blobsDir = join(dataDir, 'buckets', BUCKET, 'blobs');
    await writeFile(join(blobsDir, 'orphan-from-a-crash'), 'half an object');
    const second = await start({ dataDir });
    expect(sha256(await getBytes(second.s3, 'kept'))).toBe(sha256(data));
    expect((await getBytes(second.s3, 'small', 'bytes=5-10')).toString()).toBe('in its');
    const parts = await second.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'pending', UploadId: uploadId }));
    expect(parts.Parts?.map((part) => part.PartNumber)).toEqual([1]);
    expect(await readdir(blobsDir)).not.toContain('orphan-from-a-crash');
  });
});

describe('serve.ts CLI', () => {
  function serve(args: string[]) {
    return spawn(process.execPath, ['--import', 'tsx', 'test/support/serve.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  it('prints the listening line, serves, and exits cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    const child = serve(['s3', '--port', '0', '--data', dataDir, '--bucket', 'cli-bucket', '--latency-ms', '1']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`serve.ts exited with ${code}`)));
    });
    expect(firstLine).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+$/);

    const s3 = client(firstLine.slice('listening '.length));
    await put(s3, 'hello', 'hi', { Bucket: 'cli-bucket' });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'cli-bucket' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['hello']);
    s3.destroy();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 2 with a usage message for an unknown server kind', async () => {
    const child = serve(['ftp']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(2);
    expect(stderr).toContain('unknown server kind "ftp"');
    expect(stderr).toContain('usage:');
  });
});
