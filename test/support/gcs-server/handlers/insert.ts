// objects.insert through /upload/: uploadType=media (the body is the data), multipart (JSON
// metadata, then the data) and resumable (a session, see sessions.ts). Preconditions are checked
// at the commit, after the data arrived whole and its hashes matched.
import { receiveSmall, receiveToFile } from '../body.js';
import { removeQuietly } from '../../server-kit/index.js';
import { readConditions } from '../conditions.js';
import { type RequestContext, sendJson, uploadHooks } from '../context.js';
import { invalid, required } from '../errors.js';
import { hashesFromHeader, hashesFromMetadata, verifyHashes } from '../hashes.js';
import { boundaryOf, MultipartSplitter } from '../multipart.js';
import { objectResource } from '../resources.js';
import { validateName } from '../storage.js';
import { resumeSession } from '../sessions.js';
import { parseJsonObject, stringMap } from './objects.js';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export async function insertObject(ctx: RequestContext): Promise<void> {
  const { query } = ctx.route;
  const method = ctx.req.method ?? 'POST';
  const uploadType = query.get('uploadType');
  ctx.services.store.bucket(ctx.route.bucket);
  if (query.get('upload_id') !== null) {
    await resumeSession(ctx);
    return;
  }
  if (method !== 'POST') throw invalid('Only a resumable session takes PUT or DELETE.');
  if (uploadType === 'media') return insertMedia(ctx);
  if (uploadType === 'multipart') return insertMultipart(ctx);
  if (uploadType === 'resumable') return startSession(ctx);
  throw invalid(`Unknown uploadType "${uploadType ?? ''}": use media, multipart or resumable.`);
}

async function insertMedia(ctx: RequestContext): Promise<void> {
  const { store, stats } = ctx.services;
  const name = ctx.route.query.get('name');
  if (name === null) throw required('name');
  validateName(name);
  const temp = store.tempFile();
  stats.uploadStarted();
  try {
    const received = await receiveToFile(ctx.req, temp, uploadHooks(ctx));
    verifyHashes(received, hashesFromHeader(ctx.req.headers));
    const record = await store.commit(
      ctx.route.bucket,
      {
        name,
        sizeBytes: received.sizeBytes,
        contentType: ctx.req.headers['content-type'] ?? DEFAULT_CONTENT_TYPE,
        metadata: {},
        md5Base64: received.md5.toString('base64'),
        crc32c: received.crc32c,
        componentCount: null,
      },
      [{ path: temp, sizeBytes: received.sizeBytes, crc32c: received.crc32c }],
      'move',
      readConditions(ctx.route.query),
    );
    stats.uploadStored(received.sizeBytes);
    sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), ctx.route.bucket, record));
  } finally {
    stats.uploadEnded();
    await removeQuietly(temp); // gone already when the commit moved it
  }
}

async function insertMultipart(ctx: RequestContext): Promise<void> {
  const { store, stats } = ctx.services;
  const splitter = new MultipartSplitter(boundaryOf(ctx.req.headers['content-type']), (head) => {
    const metadata = asObject(head.metadata);
    const name = ctx.route.query.get('name') ?? metadata['name'];
    if (typeof name !== 'string') throw required('name');
    validateName(name);
  });
  const temp = store.tempFile();
  stats.uploadStarted();
  try {
    const received = await receiveToFile(ctx.req, temp, uploadHooks(ctx), [splitter]);
    const head = splitter.parsedHead;
    if (head === null) throw invalid('The multipart body has no metadata part.');
    const metadata = asObject(head.metadata);
    const name = ctx.route.query.get('name') ?? String(metadata['name']);
    verifyHashes(received, hashesFromMetadata(metadata), hashesFromHeader(ctx.req.headers));
    const contentType = typeof metadata['contentType'] === 'string' ? metadata['contentType'] : (head.contentType ?? DEFAULT_CONTENT_TYPE);
    const record = await store.commit(
      ctx.route.bucket,
      {
        name,
        sizeBytes: received.sizeBytes,
        contentType,
        metadata: stringMap(metadata['metadata']),
        md5Base64: received.md5.toString('base64'),
        crc32c: received.crc32c,
        componentCount: null,
      },
      [{ path: temp, sizeBytes: received.sizeBytes, crc32c: received.crc32c }],
      'move',
      readConditions(ctx.route.query),
    );
    stats.uploadStored(received.sizeBytes);
    sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), ctx.route.bucket, record));
  } finally {
    stats.uploadEnded();
    await removeQuietly(temp); // gone already when the commit moved it
  }
}

/** Starts a resumable session; its URI (Location) takes the data in one or more PUTs. */
async function startSession(ctx: RequestContext): Promise<void> {
  const { query } = ctx.route;
  const metadata = parseJsonObject(await receiveSmall(ctx.req, 1024 * 1024));
  const name = query.get('name') ?? metadata['name'];
  if (typeof name !== 'string') throw required('name');
  validateName(name);
  const declared = ctx.req.headers['x-upload-content-length'];
  const totalBytes = declared === undefined ? null : Number(declared);
  if (totalBytes !== null && (!Number.isSafeInteger(totalBytes) || totalBytes < 0)) throw invalid(`Invalid X-Upload-Content-Length: ${String(declared)}`);
  const headerType = ctx.req.headers['x-upload-content-type'];
  const contentType = typeof metadata['contentType'] === 'string' ? metadata['contentType'] : (typeof headerType === 'string' ? headerType : DEFAULT_CONTENT_TYPE);
  const conditions = Object.fromEntries(Object.entries(readConditions(query)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  const session = await ctx.services.sessions.create({
    bucket: ctx.route.bucket,
    name,
    contentType,
    metadata: stringMap(metadata['metadata']),
    conditions,
    totalBytes,
  });
  const location = `${ctx.services.endpoint()}/upload/storage/v1/b/${encodeURIComponent(ctx.route.bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
  sendJson(ctx.res, 200, {}, { Location: location, 'X-GUploader-UploadID': session.id });
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('The upload metadata must be a JSON object.');
  return Object.fromEntries(Object.entries(value));
}
