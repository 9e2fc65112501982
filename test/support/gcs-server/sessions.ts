// Resumable upload sessions: the session URI takes PUTs with `Content-Range: bytes S-E/T` (T may be
// `*` until the last chunk); every chunk but the last is a multiple of 256 KiB. An unfinished
// session answers 308 with `Range: bytes=0-N` (what it has persisted), a status query is a PUT of
// no bytes with `Content-Range: bytes */T`, and the request that completes the data answers 200
// with the object. Sessions live on disk: dataDir/sessions/ID.json and ID.data.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { intakeOptions } from './body.js';
import { readConditions } from './conditions.js';
import { type RequestContext, sendEmpty, sendJson, uploadHooks } from './context.js';
import { Crc32c } from './crc32c.js';
import { KeyedMutex, readRecord, removeQuietly, streamBody, writeJsonAtomic } from '../server-kit/index.js';
import { GcsError, invalid } from './errors.js';
import { hashesFromHeader, verifyHashes } from './hashes.js';
import { SessionRecord } from './records.js';
import { objectResource } from './resources.js';

export const CHUNK_QUANTUM_BYTES = 256 * 1024; // GCS: every chunk but the last is a multiple of this

export class SessionStore {
  private readonly locks = new KeyedMutex();

  private constructor(private readonly dir: string) {}

  static async open(dataDir: string): Promise<SessionStore> {
    const dir = join(dataDir, 'sessions');
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) if (name.endsWith('.tmp')) await removeQuietly(join(dir, name));
    return new SessionStore(dir);
  }

  async create(fields: Omit<SessionRecord, 'id' | 'createdMs' | 'finishedGeneration'>): Promise<SessionRecord> {
    const record: SessionRecord = { ...fields, id: randomUUID().replaceAll('-', ''), createdMs: Date.now(), finishedGeneration: null };
    await writeFile(this.dataPath(record.id), Buffer.alloc(0));
    await writeJsonAtomic(this.recordPath(record.id), record);
    return record;
  }

  async get(id: string): Promise<SessionRecord | null> {
    if (!/^[0-9a-f]{32}$/.test(id)) return null;
    return readRecord(this.recordPath(id), SessionRecord);
  }

  async save(record: SessionRecord): Promise<void> {
    await writeJsonAtomic(this.recordPath(record.id), record);
  }

  async remove(id: string): Promise<void> {
    await removeQuietly(this.recordPath(id));
    await removeQuietly(this.dataPath(id));
  }

  async persistedBytes(id: string): Promise<number> {
    return (await stat(this.dataPath(id)).catch(() => null))?.size ?? 0;
  }

  dataPath(id: string): string {
    return join(this.dir, `${id}.data`);
  }

  lock<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.locks.run(id, task);
  }

  private recordPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

interface ContentRange {
  // null for a status query (`bytes */T`)
  first: number | null;
  last: number | null;
  /** null for `*`: the size is not known yet. */
  total: number | null;
}

export async function resumeSession(ctx: RequestContext): Promise<void> {
  const { sessions } = ctx.services;
  const id = ctx.route.query.get('upload_id') ?? '';
  const session = await sessions.get(id);
  if (session === null || session.bucket !== ctx.route.bucket) throw new GcsError(404, 'notFound', 'No such upload session.');
  if (ctx.req.method === 'DELETE') {
    await sessions.lock(id, () => sessions.remove(id));
    sendEmpty(ctx.res, 499); // GCS's answer to a cancelled session
    return;
  }
  if (ctx.req.method !== 'PUT') throw invalid('A session URI takes PUT (data or status) or DELETE (cancel).');
  await sessions.lock(id, () => putChunk(ctx, session));
}

async function putChunk(ctx: RequestContext, session: SessionRecord): Promise<void> {
  const { sessions, stats } = ctx.services;
  const declaredLength = Number(ctx.req.headers['content-length'] ?? '0');
  const range = parseContentRange(ctx.req.headers['content-range'], declaredLength);
  if (session.finishedGeneration !== null) {
    ctx.req.resume();
    const record = ctx.services.store.object(session.bucket, session.name);
    if (record?.generation !== session.finishedGeneration) throw new GcsError(410, 'gone', 'The upload session finished and its object has changed since.');
    sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), session.bucket, record));
    return;
  }
  if (range.total !== null) {
    if (session.totalBytes !== null && session.totalBytes !== range.total) throw invalid(`The total size changed from ${session.totalBytes} to ${range.total}.`);
    session.totalBytes = range.total;
  }
  const persisted = await sessions.persistedBytes(session.id);
  if (range.first !== null && range.last !== null) {
    if (range.last - range.first + 1 !== declaredLength) throw invalid('Content-Range does not match Content-Length.');
    if (range.first > persisted) throw invalid(`The chunk starts at ${range.first} but only ${persisted} bytes have been persisted.`);
    const isFinal = session.totalBytes !== null && range.last + 1 === session.totalBytes;
    if (!isFinal && declaredLength % CHUNK_QUANTUM_BYTES !== 0) throw invalid(`Chunks other than the last must be a multiple of ${CHUNK_QUANTUM_BYTES} bytes.`);
    if (session.totalBytes !== null && range.last + 1 > session.totalBytes) throw invalid('The chunk goes past the declared total size.');
    await receiveChunk(ctx, session.id, persisted, range.first);
    stats.uploadStored(range.last + 1 - Math.max(persisted, range.first));
  } else {
    ctx.req.resume(); // a status query carries no bytes
  }
  await sessions.save(session);
  const now = await sessions.persistedBytes(session.id);
  if (session.totalBytes !== null && now === session.totalBytes) {
    await finish(ctx, session);
    return;
  }
  sendEmpty(ctx.res, 308, now === 0 ? {} : { Range: `bytes=0-${now - 1}` });
}

/** Appends the body to the session's data, skipping bytes it already has; a cut keeps whole quanta. */
async function receiveChunk(ctx: RequestContext, id: string, persisted: number, first: number): Promise<void> {
  const { sessions, stats } = ctx.services;
  const path = sessions.dataPath(id);
  const hooks = uploadHooks(ctx);
  stats.uploadStarted();
  try {
    const stages = [new SkipBytes(persisted - first), new CountBytes(hooks.onBytes), createWriteStream(path, { flags: 'r+', start: persisted })];
    await streamBody(ctx.req, intakeOptions(hooks), stages);
  } catch (error) {
    // Like GCS, keep what arrived in whole quanta; the client learns how much from the next 308.
    const size = await sessions.persistedBytes(id);
    const kept = persisted + Math.floor((size - persisted) / CHUNK_QUANTUM_BYTES) * CHUNK_QUANTUM_BYTES;
    await truncate(path, kept).catch(() => undefined);
    throw error;
  } finally {
    stats.uploadEnded();
  }
}

async function finish(ctx: RequestContext, session: SessionRecord): Promise<void> {
  const { store, sessions } = ctx.services;
  const path = sessions.dataPath(session.id);
  const md5 = createHash('md5');
  const crc = new Crc32c();
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    if (!Buffer.isBuffer(chunk)) continue;
    md5.update(chunk);
    crc.update(chunk);
    sizeBytes += chunk.length;
  }
  const received = { sizeBytes, md5: md5.digest(), crc32c: crc.digest() };
  verifyHashes(received, hashesFromHeader(ctx.req.headers));
  const record = await store.commit(
    session.bucket,
    {
      name: session.name,
      sizeBytes,
      contentType: session.contentType,
      metadata: session.metadata,
      md5Base64: received.md5.toString('base64'),
      crc32c: received.crc32c,
      componentCount: null,
    },
    [{ path, sizeBytes, crc32c: received.crc32c }],
    'move',
    readConditions(new URLSearchParams(session.conditions)),
  );
  await sessions.save({ ...session, finishedGeneration: record.generation });
  sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), session.bucket, record));
}

function parseContentRange(header: string | undefined, contentLength: number): ContentRange {
  if (header === undefined) {
    // No Content-Range: the body is the whole object.
    return contentLength === 0 ? { first: null, last: null, total: 0 } : { first: 0, last: contentLength - 1, total: contentLength };
  }
  const match = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header.trim());
  if (match === null) throw invalid(`Malformed Content-Range: ${header}`);
  const total = match[3] === '*' || match[3] === undefined ? null : Number(match[3]);
  if (match[1] === undefined || match[2] === undefined) return { first: null, last: null, total };
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (last < first) throw invalid(`Malformed Content-Range: ${header}`);
  return { first, last, total };
}

/** Drops the first `count` bytes: a chunk re-sent from before what the session already has. */
class SkipBytes extends Transform {
  constructor(private remaining: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.remaining >= chunk.length) {
      this.remaining -= chunk.length;
      callback();
      return;
    }
    const rest = chunk.subarray(this.remaining);
    this.remaining = 0;
    callback(null, rest);
  }
}

class CountBytes extends Transform {
  constructor(private readonly onBytes: ((bytes: number) => void) | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }
}
