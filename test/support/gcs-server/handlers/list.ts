// objects.list: prefix, delimiter (prefixes), startOffset/endOffset, maxResults pages with an
// opaque nextPageToken, in byte order of names; buckets.list for completeness.
import { type RequestContext, sendJson } from '../context.js';
import { invalid } from '../errors.js';
import { bucketResource, objectResource } from '../resources.js';
import { compareNames } from '../sorted-names.js';

const MAX_RESULTS = 1000; // GCS's page size and its upper limit

interface PageToken {
  /** The last name or prefix returned. */
  after: string;
  /** It was a prefix: skip every name under it too. */
  prefix: boolean;
}

export async function listObjects(ctx: RequestContext): Promise<void> {
  const { store, endpoint } = ctx.services;
  const { bucket: bucketName, query } = ctx.route;
  const bucket = store.bucket(bucketName);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxResults = pageSize(query.get('maxResults'));
  const token = parseToken(query.get('pageToken'));
  const startOffset = query.get('startOffset') ?? undefined;
  const endOffset = query.get('endOffset') ?? undefined;

  const items: Record<string, unknown>[] = [];
  const prefixes: string[] = [];
  let last: PageToken | null = null;
  let more = false;
  const from = [prefix, startOffset ?? ''].sort(compareNames)[1] ?? prefix;
  for (const name of bucket.names.from(token === null ? { from } : { from, after: token.after })) {
    if (!name.startsWith(prefix)) {
      if (compareNames(name, prefix) > 0) break; // past the prefix's range
      continue;
    }
    if (endOffset !== undefined && compareNames(name, endOffset) >= 0) break;
    if (token?.prefix === true && name.startsWith(token.after)) continue;
    if (last?.prefix === true && name.startsWith(last.after)) continue;
    const cut = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length);
    if (items.length + prefixes.length >= maxResults) {
      more = true;
      break;
    }
    if (cut >= 0) {
      const folder = name.slice(0, cut + delimiter.length);
      prefixes.push(folder);
      last = { after: folder, prefix: true };
      continue;
    }
    const record = bucket.objects.get(name);
    if (record === undefined) continue;
    items.push(objectResource(endpoint(), bucketName, record));
    last = { after: name, prefix: false };
  }
  sendJson(ctx.res, 200, {
    kind: 'storage#objects',
    ...(items.length === 0 ? {} : { items }),
    ...(prefixes.length === 0 ? {} : { prefixes }),
    ...(more && last !== null ? { nextPageToken: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}),
  });
}

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const { store, endpoint } = ctx.services;
  const items = store.bucketRecords().map((record) => bucketResource(endpoint(), record));
  sendJson(ctx.res, 200, { kind: 'storage#buckets', ...(items.length === 0 ? {} : { items }) });
}

function pageSize(text: string | null): number {
  if (text === null) return MAX_RESULTS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw invalid(`Invalid value for maxResults: ${text}`);
  return value === 0 ? MAX_RESULTS : Math.min(value, MAX_RESULTS);
}

function parseToken(text: string | null): PageToken | null {
  if (text === null || text === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null) {
      const after = Reflect.get(value, 'after');
      const prefix = Reflect.get(value, 'prefix');
      if (typeof after === 'string' && typeof prefix === 'boolean') return { after, prefix };
    }
  } catch {
    // fall through
  }
  throw invalid('Invalid page token.');
}
