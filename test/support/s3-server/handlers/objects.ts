// Single-object operations: PutObject (conditional, checksummed), GetObject and HeadObject (ranges,
// part numbers, conditions, response overrides), DeleteObject and the batch DeleteObjects.
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { planBody } from '../body-plan.js';
import { receiveBytes, receiveText, type ReceivedBody } from '../body.js';
import { checkReadConditions, writeConditionFrom } from '../conditions.js';
import { bodyHooks, receiveToFile, sendEmpty, sendXml, type RequestContext } from '../context.js';
import { removeQuietly } from '../../server-kit/index.js';
import { ConnectionGone, S3Error } from '../errors.js';
import type { ObjectRecord } from '../records.js';
import type { SegmentSource } from '../storage.js';
import { el, parseDeleteObjects, xmlDocument } from '../xml.js';
import { checkKey, checksumHeaders, objectDescription, objectResponseHeaders, text } from './object-headers.js';

const MAX_PUT_BYTES = 5 * 1024 ** 3; // S3's single PUT limit
const INLINE_MAX_BYTES = 64 * 1024; // smaller objects live in their record: one file to create, not two
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024; // 1000 keys of 1 KiB with their markup
const RESPONSE_OVERRIDES = [
  'content-type',
  'content-language',
  'expires',
  'cache-control',
  'content-disposition',
  'content-encoding',
];

export async function putObject(ctx: RequestContext): Promise<void> {
  const { store, stats } = ctx.services;
  const { bucket, key } = ctx.route;
  store.bucket(bucket);
  checkKey(key);
  const condition = writeConditionFrom(ctx.req.headers);
  const plan = planBody(ctx.req.headers, ctx.auth, MAX_PUT_BYTES);
  const onBytes = (bytes: number): void => stats.objectBytesArrived(bytes);
  let source: SegmentSource;
  let received: ReceivedBody;
  if (plan.declaredBytes <= INLINE_MAX_BYTES) {
    const { data, body } = await receiveBytes(ctx.req, plan, bodyHooks(ctx, { onBytes }));
    received = body;
    source = { data, sizeBytes: body.sizeBytes, checksums: body.checksums };
  } else {
    const path = store.tempFile();
    received = await receiveToFile(ctx, plan, path, { onBytes });
    source = { path, sizeBytes: received.sizeBytes, checksums: received.checksums };
  }
  const algorithm = plan.checksum?.algorithm ?? null;
  const checksumValue = algorithm === null ? undefined : received.checksums[algorithm];
  const draft = {
    key,
    sizeBytes: received.sizeBytes,
    etag: `"${received.md5.toString('hex')}"`,
    lastModifiedMs: Date.now(),
    ...objectDescription(ctx.req.headers),
    checksum:
      algorithm === null || checksumValue === undefined
        ? null
        : { algorithm, value: checksumValue, type: 'FULL_OBJECT' as const },
    multipart: false,
  };
  try {
    const commitDelayMs = ctx.services.faults.commitDelayMsFor('PutObject');
    if (commitDelayMs > 0) await sleep(commitDelayMs);
    const record = await store.commitObject(bucket, draft, [source], 'move', condition);
    stats.objectStored();
    sendEmpty(ctx.res, 200, {
      ETag: record.etag,
      ...checksumHeaders(received.checksums, algorithm === null ? [] : [algorithm]),
      ...(algorithm === null ? {} : { 'x-amz-checksum-type': 'FULL_OBJECT' }),
    });
  } catch (error) {
    if ('path' in source) await removeQuietly(source.path);
    throw error;
  }
}

export async function getObject(ctx: RequestContext): Promise<void> {
  await readObject(ctx, true);
}

export async function headObject(ctx: RequestContext): Promise<void> {
  await readObject(ctx, false);
}

async function readObject(ctx: RequestContext, withBody: boolean): Promise<void> {
  const { store } = ctx.services;
  const { bucket, key, query } = ctx.route;
  const record = store.object(bucket, key);
  if (record === undefined) throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
  const headers = objectResponseHeaders(record);
  if (checkReadConditions(record, ctx.req.headers) === 'not-modified') {
    sendEmpty(ctx.res, 304, { ETag: record.etag, 'Last-Modified': headers['Last-Modified'] ?? '' });
    return;
  }

  const selection = selectBytes(record, query.get('partNumber'), text(ctx.req.headers.range));
  Object.assign(headers, selection.headers);
  if (text(ctx.req.headers['x-amz-checksum-mode'])?.toUpperCase() === 'ENABLED') {
    Object.assign(headers, selectionChecksum(record, selection));
  }
  for (const name of RESPONSE_OVERRIDES) {
    const override = query.get(`response-${name}`);
    if (override !== null) headers[name] = override;
  }
  const lengthBytes = selection.end - selection.start;
  ctx.res.writeHead(selection.status, { ...headers, 'Content-Length': String(lengthBytes) });
  if (!withBody) {
    ctx.res.end();
    return;
  }
  const body = store.readRange(bucket, record, selection.start, selection.end);
  if (ctx.fault.kind === 'reset') {
    const socket = ctx.res.socket;
    await pipeline(body, cutAfter(Math.floor(lengthBytes * ctx.fault.fraction), () => socket?.destroy()), ctx.res);
  } else {
    await pipeline(body, ctx.res);
  }
}

interface ByteSelection {
  status: number;
  start: number;
  /** Exclusive. */
  end: number;
  /** The part asked for by partNumber, 1-based; null for a range or the whole object. */
  partNumber: number | null;
  headers: Record<string, string>;
}

function selectBytes(record: ObjectRecord, partNumberText: string | null, range: string | undefined): ByteSelection {
  const size = record.sizeBytes;
  if (partNumberText !== null) {
    const partNumber = Number(partNumberText);
    const partCount = record.multipart ? record.segments.length : 1;
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        fields: { ArgumentName: 'partNumber', ArgumentValue: partNumberText },
      });
    }
    if (partNumber > partCount) throw new S3Error('InvalidPartNumber');
    let start = 0;
    for (const segment of record.segments.slice(0, partNumber - 1)) start += segment.sizeBytes;
    const end = record.multipart ? start + (record.segments[partNumber - 1]?.sizeBytes ?? 0) : size;
    return {
      status: 206,
      start,
      end,
      partNumber,
      headers: { 'Content-Range': `bytes ${start}-${end - 1}/${size}`, 'x-amz-mp-parts-count': String(partCount) },
    };
  }
  const bytes = range === undefined ? null : parseRange(range, size);
  if (bytes === null) return { status: 200, start: 0, end: size, partNumber: null, headers: {} };
  return {
    status: 206,
    start: bytes.start,
    end: bytes.end,
    partNumber: null,
    headers: { 'Content-Range': `bytes ${bytes.start}-${bytes.end - 1}/${size}` },
  };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; null means "ignore the header" (malformed or several ranges). */
function parseRange(header: string, size: number): { start: number; end: number } | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  const unsatisfiable = (): S3Error =>
    new S3Error('InvalidRange', undefined, {
      fields: { RangeRequested: header, ActualObjectSize: size },
      headers: { 'Content-Range': `bytes */${size}` },
    });
  if (first === '') {
    if (last === '') return null;
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) throw unsatisfiable();
  const end = last === '' ? size : Math.min(size, Number(last) + 1);
  return { start, end };
}

/** S3 returns a checksum only when it covers exactly the bytes sent: the whole object or one part. */
function selectionChecksum(record: ObjectRecord, selection: ByteSelection): Record<string, string> {
  const checksum = record.checksum;
  if (checksum === null) return {};
  const whole = selection.start === 0 && selection.end === record.sizeBytes && selection.status === 200;
  if (whole) {
    return { [`x-amz-checksum-${checksum.algorithm.toLowerCase()}`]: checksum.value, 'x-amz-checksum-type': checksum.type };
  }
  if (selection.partNumber !== null && record.multipart) {
    const value = record.segments[selection.partNumber - 1]?.checksums[checksum.algorithm];
    if (value !== undefined) return { [`x-amz-checksum-${checksum.algorithm.toLowerCase()}`]: value };
  }
  return {};
}

/** Passes `limitBytes`, then cuts the connection (a reset fault in the middle of a download). */
function cutAfter(limitBytes: number, cut: () => void): Transform {
  let sentBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const room = limitBytes - sentBytes;
      if (room <= 0) {
        cut();
        callback(new ConnectionGone('fault injection: connection reset mid-body'));
        return;
      }
      sentBytes += Math.min(room, chunk.length);
      callback(null, chunk.length > room ? chunk.subarray(0, room) : chunk);
    },
    flush(callback) {
      cut();
      callback();
    },
  });
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  await ctx.services.store.deleteObject(ctx.route.bucket, ctx.route.key);
  sendEmpty(ctx.res, 204);
}

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const { store } = ctx.services;
  const { bucket } = ctx.route;
  store.bucket(bucket);
  const plan = planBody(ctx.req.headers, ctx.auth, MAX_DELETE_BODY_BYTES);
  if (plan.contentMd5 === null && plan.checksum === null) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  }
  const { text: xml } = await receiveText(ctx.req, plan, bodyHooks(ctx));
  const { keys, quiet } = parseDeleteObjects(xml);
  const deleted: string[] = [];
  for (const key of keys) {
    await store.deleteObject(bucket, key);
    if (!quiet) deleted.push(el('Deleted', [el('Key', key)]));
  }
  sendXml(ctx.res, 200, xmlDocument('DeleteResult', deleted));
}
