// Conditional requests: If-Match / If-None-Match on writes (S3's compare-and-swap for PutObject and
// CompleteMultipartUpload) and the four RFC 7232 conditions on reads, with S3's precedence.
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './errors.js';
import type { ObjectRecord } from './records.js';

export interface WriteCondition {
  ifMatch: string | null;
  ifNoneMatch: string | null;
}

export function writeConditionFrom(headers: IncomingHttpHeaders): WriteCondition {
  const ifNoneMatch = single(headers['if-none-match']);
  if (ifNoneMatch !== null && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'If-None-Match on a write only accepts "*".', {
      fields: { Header: 'If-None-Match' },
    });
  }
  return { ifMatch: single(headers['if-match']), ifNoneMatch };
}

/** Throws 412 unless the write may replace `current` (undefined: the key is absent). */
export function checkWriteCondition(current: ObjectRecord | undefined, condition: WriteCondition): void {
  if (condition.ifNoneMatch !== null && current !== undefined) {
    throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-None-Match' } });
  }
  if (condition.ifMatch !== null && (current === undefined || !etagListMatches(condition.ifMatch, current.etag))) {
    throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-Match' } });
  }
}

/** GET/HEAD: 'not-modified' means answer 304; a failed If-Match or If-Unmodified-Since throws 412. */
export function checkReadConditions(record: ObjectRecord, headers: IncomingHttpHeaders): 'proceed' | 'not-modified' {
  const lastModifiedMs = Math.floor(record.lastModifiedMs / 1000) * 1000; // HTTP dates have whole seconds
  const ifMatch = single(headers['if-match']);
  const ifUnmodifiedSince = httpDate(headers['if-unmodified-since']);
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, record.etag)) {
      throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-Match' } });
    }
  } else if (ifUnmodifiedSince !== null && lastModifiedMs > ifUnmodifiedSince) {
    throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-Unmodified-Since' } });
  }
  const ifNoneMatch = single(headers['if-none-match']);
  const ifModifiedSince = httpDate(headers['if-modified-since']);
  if (ifNoneMatch !== null) return etagListMatches(ifNoneMatch, record.etag) ? 'not-modified' : 'proceed';
  if (ifModifiedSince !== null && lastModifiedMs <= ifModifiedSince) return 'not-modified';
  return 'proceed';
}

/** `"a", "b"` or `*` against one ETag; quotes and weak markers are ignored as S3 does. */
export function etagListMatches(list: string, etag: string): boolean {
  const wanted = bareEtag(etag);
  return list.split(',').some((candidate) => candidate.trim() === '*' || bareEtag(candidate) === wanted);
}

export function bareEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function single(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(',') : value;
}

function httpDate(value: string | string[] | undefined): number | null {
  const text = single(value);
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
