// Listings: ListObjectsV2 (continuation tokens), ListObjects V1 (markers) and ListMultipartUploads,
// all with prefix and delimiter, answered in S3's XML.
import type { RequestContext } from '../context.js';
import { sendXml } from '../context.js';
import { S3Error } from '../errors.js';
import {
  continuationToken,
  lastPosition,
  listPage,
  parseContinuationToken,
  parseMaxCount,
  type ListPage,
} from '../listing.js';
import type { ObjectRecord } from '../records.js';
import { compareKeys } from '../sorted-keys.js';
import type { UploadState } from '../uploads.js';
import { el, isoTime, xmlDocument } from '../xml.js';
import { ownerXml } from './owner.js';

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const { query, bucket } = ctx.route;
  const state = ctx.services.store.bucket(bucket);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = parseMaxCount('max-keys', query.get('max-keys'));
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const encode = encoder(query.get('encoding-type'));
  const after = token !== null ? parseContinuationToken(token) : startAfter;
  const page = listPage(state.keys, { prefix, delimiter, maxKeys, after });
  const last = page.entries.at(-1);
  sendXml(
    ctx.res,
    200,
    xmlDocument('ListBucketResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      delimiter === '' ? '' : el('Delimiter', encode(delimiter)),
      el('MaxKeys', maxKeys),
      el('EncodingType', query.get('encoding-type')),
      el('KeyCount', page.entries.length),
      el('IsTruncated', page.truncated),
      el('ContinuationToken', token),
      el('NextContinuationToken', page.truncated && last !== undefined ? continuationToken(last) : null),
      el('StartAfter', startAfter === null ? null : encode(startAfter)),
      ...entriesXml(page, state.objects, encode, query.get('fetch-owner') === 'true'),
    ]),
  );
}

export async function listObjects(ctx: RequestContext): Promise<void> {
  const { query, bucket } = ctx.route;
  const state = ctx.services.store.bucket(bucket);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = parseMaxCount('max-keys', query.get('max-keys'));
  const marker = query.get('marker') ?? '';
  const encode = encoder(query.get('encoding-type'));
  const page = listPage(state.keys, { prefix, delimiter, maxKeys, after: marker === '' ? null : marker });
  const last = page.entries.at(-1);
  const nextMarker = last === undefined ? null : lastPosition(last);
  sendXml(
    ctx.res,
    200,
    xmlDocument('ListBucketResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      el('Marker', encode(marker)),
      delimiter === '' ? '' : el('Delimiter', encode(delimiter)),
      el('MaxKeys', maxKeys),
      el('EncodingType', query.get('encoding-type')),
      el('IsTruncated', page.truncated),
      el('NextMarker', page.truncated && delimiter !== '' && nextMarker !== null ? encode(nextMarker) : null),
      ...entriesXml(page, state.objects, encode, true),
    ]),
  );
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const { query, bucket } = ctx.route;
  ctx.services.store.bucket(bucket);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxUploads = parseMaxCount('max-uploads', query.get('max-uploads'));
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const encode = encoder(query.get('encoding-type'));

  const sorted = ctx.services.uploads
    .list(bucket)
    .filter((upload) => upload.record.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.record.key, b.record.key) || a.record.initiatedMs - b.record.initiatedMs);
  let start = 0;
  if (keyMarker !== '') {
    const markerIndex = sorted.findIndex(
      (upload) => upload.record.key === keyMarker && upload.record.uploadId === uploadIdMarker,
    );
    start =
      uploadIdMarker !== '' && markerIndex >= 0
        ? markerIndex + 1
        : sorted.findIndex((upload) => compareKeys(upload.record.key, keyMarker) > 0);
    if (start < 0) start = sorted.length;
  }

  const uploads: UploadState[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  for (let index = start; index < sorted.length; index++) {
    const upload = sorted[index];
    if (upload === undefined) break;
    const cut = delimiter === '' ? -1 : upload.record.key.indexOf(delimiter, prefix.length);
    const commonPrefix = cut < 0 ? null : upload.record.key.slice(0, cut + delimiter.length);
    if (commonPrefix !== null && prefixes.at(-1) === commonPrefix) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (commonPrefix === null) uploads.push(upload);
    else prefixes.push(commonPrefix);
  }
  const last = uploads.at(-1);
  sendXml(
    ctx.res,
    200,
    xmlDocument('ListMultipartUploadsResult', [
      el('Bucket', bucket),
      el('KeyMarker', encode(keyMarker)),
      el('UploadIdMarker', uploadIdMarker),
      el('NextKeyMarker', truncated && last !== undefined ? encode(last.record.key) : null),
      el('NextUploadIdMarker', truncated && last !== undefined ? last.record.uploadId : null),
      delimiter === '' ? '' : el('Delimiter', encode(delimiter)),
      el('Prefix', encode(prefix)),
      el('MaxUploads', maxUploads),
      el('EncodingType', query.get('encoding-type')),
      el('IsTruncated', truncated),
      ...uploads.map((upload) =>
        el('Upload', [
          el('Key', encode(upload.record.key)),
          el('UploadId', upload.record.uploadId),
          el('Initiator', ownerXml()),
          el('Owner', ownerXml()),
          el('StorageClass', 'STANDARD'),
          el('Initiated', isoTime(upload.record.initiatedMs)),
          el('ChecksumAlgorithm', upload.record.checksumAlgorithm),
          el('ChecksumType', upload.record.checksumAlgorithm === null ? null : 'COMPOSITE'),
        ]),
      ),
      ...prefixes.map((commonPrefix) => el('CommonPrefixes', [el('Prefix', encode(commonPrefix))])),
    ]),
  );
}

function entriesXml(
  page: ListPage,
  objects: Map<string, ObjectRecord>,
  encode: (text: string) => string,
  withOwner: boolean,
): string[] {
  const contents: string[] = [];
  const prefixes: string[] = [];
  for (const entry of page.entries) {
    if (entry.kind === 'prefix') {
      prefixes.push(el('CommonPrefixes', [el('Prefix', encode(entry.prefix))]));
      continue;
    }
    const object = objects.get(entry.key);
    if (object !== undefined) contents.push(contentsXml(object, encode, withOwner));
  }
  return [...contents, ...prefixes];
}

function contentsXml(object: ObjectRecord, encode: (text: string) => string, withOwner: boolean): string {
  return el('Contents', [
    el('Key', encode(object.key)),
    el('LastModified', isoTime(object.lastModifiedMs)),
    el('ETag', object.etag),
    el('ChecksumAlgorithm', object.checksum?.algorithm),
    el('ChecksumType', object.checksum?.type),
    el('Size', object.sizeBytes),
    withOwner ? el('Owner', ownerXml()) : '',
    el('StorageClass', 'STANDARD'),
  ]);
}

/** encoding-type=url: keys are percent-encoded in the answer (slashes kept, as S3 does). */
function encoder(encodingType: string | null): (text: string) => string {
  if (encodingType === null) return (text) => text;
  if (encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      fields: { ArgumentName: 'encoding-type', ArgumentValue: encodingType },
    });
  }
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}
