// objects.get (resource or alt=media with Range), objects.patch, objects.delete, objects.compose.
import { pipeline } from 'node:stream/promises';
import { receiveSmall } from '../body.js';
import { checkConditions, readConditions } from '../conditions.js';
import { type RequestContext, sendEmpty, sendJson } from '../context.js';
import { crc32cBase64, crc32cCombine } from '../crc32c.js';
import { conditionNotMet, GcsError, invalid, noSuchObject, required } from '../errors.js';
import type { ObjectRecord } from '../records.js';
import { etagOf, objectResource } from '../resources.js';
import type { SegmentSource } from '../storage.js';

const MAX_COMPOSE_SOURCES = 32; // GCS's limit per compose request
const MAX_JSON_BYTES = 1024 * 1024; // a compose request or a metadata patch is small

export async function getObject(ctx: RequestContext): Promise<void> {
  const { store } = ctx.services;
  const { bucket, object, query } = ctx.route;
  const record = store.requireObject(bucket, object);
  const generation = query.get('generation');
  // Without versioning only the live generation exists.
  if (generation !== null && generation !== record.generation) throw noSuchObject(bucket, object);
  checkConditions(record, readConditions(query), 'read');
  if (!ctx.route.media) {
    sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), bucket, record));
    return;
  }
  const range = parseRange(ctx.req.headers.range, record.sizeBytes);
  const headers: Record<string, string> = {
    'Content-Type': record.contentType,
    ETag: etagOf(record),
    'Accept-Ranges': 'bytes',
    'x-goog-generation': record.generation,
    'x-goog-metageneration': String(record.metageneration),
    'x-goog-stored-content-length': String(record.sizeBytes),
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-hash': [`crc32c=${crc32cBase64(record.crc32c)}`, ...(record.md5Base64 === null ? [] : [`md5=${record.md5Base64}`])].join(','),
  };
  if (range === 'unsatisfiable') {
    throw new GcsError(416, 'requestedRangeNotSatisfiable', `The requested range cannot be satisfied (object size ${record.sizeBytes}).`);
  }
  const [start, endExclusive] = range ?? [0, record.sizeBytes];
  headers['Content-Length'] = String(endExclusive - start);
  if (range !== null) headers['Content-Range'] = `bytes ${start}-${endExclusive - 1}/${record.sizeBytes}`;
  ctx.res.writeHead(range === null ? 200 : 206, headers);
  if (endExclusive === start) {
    ctx.res.end();
    return;
  }
  await pipeline(store.read(bucket, record, start, endExclusive), ctx.res).catch(() => {
    ctx.res.destroy(); // the client went away; nothing more to say
  });
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` as [start, endExclusive); null for no (or an ignored) Range. */
function parseRange(header: string | undefined, sizeBytes: number): [number, number] | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return null; // malformed: serve it all
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, sizeBytes - suffix), sizeBytes];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? sizeBytes - 1 : Math.min(Number(match[2]), sizeBytes - 1);
  if (start >= sizeBytes || end < start) return 'unsatisfiable';
  return [start, end + 1];
}

export async function patchObject(ctx: RequestContext): Promise<void> {
  const { bucket, object, query } = ctx.route;
  const body = parseJsonObject(await receiveSmall(ctx.req, MAX_JSON_BYTES));
  const change: { contentType?: string; metadata?: Record<string, string | null> } = {};
  if (typeof body['contentType'] === 'string') change.contentType = body['contentType'];
  const metadata = body['metadata'];
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('metadata must be an object of strings.');
    change.metadata = {};
    for (const [field, value] of Object.entries(metadata)) {
      if (value !== null && typeof value !== 'string') throw invalid(`metadata.${field} must be a string or null.`);
      change.metadata[field] = value;
    }
  }
  const record = await ctx.services.store.patch(bucket, object, change, readConditions(query));
  sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), bucket, record));
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const { bucket, object, query } = ctx.route;
  const generation = query.get('generation');
  const current = ctx.services.store.object(bucket, object);
  if (generation !== null && current?.generation !== generation) throw noSuchObject(bucket, object);
  await ctx.services.store.delete(bucket, object, readConditions(query));
  sendEmpty(ctx.res, 204);
}

export async function composeObject(ctx: RequestContext): Promise<void> {
  const { store } = ctx.services;
  const { bucket, object, query } = ctx.route;
  store.bucket(bucket);
  const body = parseJsonObject(await receiveSmall(ctx.req, MAX_JSON_BYTES));
  const sources = body['sourceObjects'];
  if (!Array.isArray(sources) || sources.length === 0) throw required('sourceObjects');
  if (sources.length > MAX_COMPOSE_SOURCES) {
    throw invalid(`The number of source components provided (${sources.length}) exceeds the maximum (${MAX_COMPOSE_SOURCES}).`);
  }
  const records: ObjectRecord[] = [];
  for (const source of sources) records.push(resolveSource(ctx, source));
  const destination = body['destination'];
  const described = typeof destination === 'object' && destination !== null && !Array.isArray(destination) ? Object.fromEntries(Object.entries(destination)) : {};
  const segments: SegmentSource[] = records.flatMap((record) => store.segmentSources(bucket, record));
  let crc32c = 0;
  for (const record of records) crc32c = crc32cCombine(crc32c, record.crc32c, record.sizeBytes);
  const record = await store.commit(
    bucket,
    {
      name: object,
      sizeBytes: records.reduce((sum, source) => sum + source.sizeBytes, 0),
      contentType: typeof described['contentType'] === 'string' ? described['contentType'] : 'application/octet-stream',
      metadata: stringMap(described['metadata']),
      md5Base64: null,
      crc32c,
      componentCount: records.reduce((sum, source) => sum + (source.componentCount ?? 1), 0),
    },
    segments,
    'link',
    readConditions(query),
  );
  sendJson(ctx.res, 200, objectResource(ctx.services.endpoint(), bucket, record));
}

function resolveSource(ctx: RequestContext, source: unknown): ObjectRecord {
  const { bucket } = ctx.route;
  if (typeof source !== 'object' || source === null) throw invalid('Each source object must be an object with a name.');
  const fields = Object.fromEntries(Object.entries(source));
  const name = fields['name'];
  if (typeof name !== 'string' || name === '') throw required('sourceObjects[].name');
  const record = ctx.services.store.object(bucket, name);
  const generation = fields['generation'];
  if (record === undefined || (generation !== undefined && String(generation) !== record.generation)) {
    throw new GcsError(404, 'notFound', `Object ${bucket}/${name}${generation === undefined ? '' : ` (generation: ${String(generation)})`} not found.`);
  }
  const preconditions = fields['objectPreconditions'];
  if (typeof preconditions === 'object' && preconditions !== null) {
    const wanted = Reflect.get(preconditions, 'ifGenerationMatch');
    if (wanted !== undefined && String(wanted) !== record.generation) throw conditionNotMet();
  }
  return record;
}

export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new GcsError(400, 'parseError', 'Parse Error: the request body is not JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('The request body must be a JSON object.');
  return Object.fromEntries(Object.entries(value));
}

export function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const map: Record<string, string> = {};
  for (const [field, entry] of Object.entries(value)) if (typeof entry === 'string') map[field] = entry;
  return map;
}
