// S3's listing rules over sorted keys, pure: prefix, delimiter rolling keys up into common prefixes,
// a page size that counts keys and prefixes alike, and resuming after the last entry returned.
import { S3Error } from './errors.js';
import { compareKeys, type SortedKeys } from './sorted-keys.js';

export type ListEntry = { kind: 'key'; key: string } | { kind: 'prefix'; prefix: string };

export interface ListRequest {
  prefix: string;
  /** Empty: no roll-up. */
  delimiter: string;
  maxKeys: number;
  /**
   * Only entries after this are listed (start-after, a V1 marker, a continuation token). A common
   * prefix that sorts at or before it is skipped whole, so resuming after a prefix never repeats it.
   */
  after: string | null;
}

export interface ListPage {
  entries: ListEntry[];
  truncated: boolean;
}

export function listPage(keys: SortedKeys, request: ListRequest): ListPage {
  const { prefix, delimiter, maxKeys } = request;
  let index = keys.lowerBound(prefix);
  if (request.after !== null) index = Math.max(index, keys.upperBound(request.after));

  const entries: ListEntry[] = [];
  let truncated = false;
  for (let key = keys.at(index); key !== undefined && key.startsWith(prefix); key = keys.at(index)) {
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const commonPrefix = cut < 0 ? null : key.slice(0, cut + delimiter.length);
    if (commonPrefix !== null && request.after !== null && compareKeys(commonPrefix, request.after) <= 0) {
      index = keys.endOfPrefix(commonPrefix);
      continue;
    }
    if (entries.length >= maxKeys) {
      truncated = maxKeys > 0;
      break;
    }
    if (commonPrefix !== null) {
      entries.push({ kind: 'prefix', prefix: commonPrefix });
      index = keys.endOfPrefix(commonPrefix);
    } else {
      entries.push({ kind: 'key', key });
      index += 1;
    }
  }
  return { entries, truncated };
}

/** The key or common prefix a page ended on: where the next page starts after. */
export function lastPosition(entry: ListEntry): string {
  return entry.kind === 'key' ? entry.key : entry.prefix;
}

/** Continuation tokens are opaque to clients: base64url JSON naming the last entry returned. */
export function continuationToken(last: ListEntry): string {
  return Buffer.from(JSON.stringify({ after: lastPosition(last) })).toString('base64url');
}

export function parseContinuationToken(token: string): string {
  try {
    const position: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof position === 'object' && position !== null && 'after' in position && typeof position.after === 'string') {
      return position.after;
    }
  } catch {
    // falls through to S3's answer for a token it did not issue
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
    fields: { ArgumentName: 'continuation-token', ArgumentValue: token },
  });
}

/** max-keys / max-parts / max-uploads: a non-negative integer, at most 1000 as S3 caps it. */
export function parseMaxCount(name: string, raw: string | null): number {
  if (raw === null) return 1000;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      fields: { ArgumentName: name, ArgumentValue: raw },
    });
  }
  return Math.min(value, 1000);
}
