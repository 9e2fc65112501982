// Multipart uploads: create, upload a part, list parts, complete (with S3's ordering, ETag, size
// and checksum rules, conditional, and the 200-with-<Error> answer as a fault) and abort.
import { createHash } from 'node:crypto';
import { planBody } from '../body-plan.js';
import { receiveText } from '../body.js';
import { checksumHeaderName, compositeChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../checksums.js';
import { bareEtag, writeConditionFrom } from '../conditions.js';
import { bodyHooks, receiveToFile, sendEmpty, sendXml, type RequestContext } from '../context.js';
import { removeQuietly } from '../../server-kit/index.js';
import { S3Error } from '../errors.js';
import { parseMaxCount } from '../listing.js';
import type { ObjectRecord, PartRecord } from '../records.js';
import type { UploadState } from '../uploads.js';
import { el, errorDocument, isoTime, parseCompleteMultipartUpload, xmlDocument, type RequestedPart } from '../xml.js';
import { checkKey, checksumHeaders, objectDescription, text } from './object-headers.js';
import { ownerXml } from './owner.js';

const MAX_PART_NUMBER = 10_000; // S3's limit on parts per upload
const MAX_PART_BYTES = 5 * 1024 ** 3; // S3's limit on one part
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024; // 10,000 parts with their checksums fit easily

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const { bucket, key } = ctx.route;
  ctx.services.store.bucket(bucket);
  checkKey(key);
  const algorithmHeader = text(ctx.req.headers['x-amz-checksum-algorithm']);
  const checksumAlgorithm = algorithmHeader === undefined ? null : parseChecksumAlgorithm(algorithmHeader);
  const checksumType = text(ctx.req.headers['x-amz-checksum-type'])?.toUpperCase();
  if (checksumType === 'FULL_OBJECT') {
    throw new S3Error('NotImplemented', 'This test server only makes COMPOSITE multipart checksums.');
  }
  const record = await ctx.services.uploads.create(bucket, {
    key,
    ...objectDescription(ctx.req.headers),
    checksumAlgorithm,
  });
  const headers: Record<string, string> =
    checksumAlgorithm === null ? {} : { 'x-amz-checksum-algorithm': checksumAlgorithm, 'x-amz-checksum-type': 'COMPOSITE' };
  sendXml(
    ctx.res,
    200,
    xmlDocument('InitiateMultipartUploadResult', [el('Bucket', bucket), el('Key', key), el('UploadId', record.uploadId)]),
    headers,
  );
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const { uploads, stats, store } = ctx.services;
  const { bucket, key, query } = ctx.route;
  const partNumber = parsePartNumber(query.get('partNumber'));
  const upload = uploads.get(bucket, key, query.get('uploadId') ?? '');
  const plan = planBody(ctx.req.headers, ctx.auth, MAX_PART_BYTES);
  const uploadAlgorithm = upload.record.checksumAlgorithm;
  if (uploadAlgorithm !== null && plan.checksum !== null && plan.checksum.algorithm !== uploadAlgorithm) {
    throw new S3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${uploadAlgorithm.toLowerCase()}, ` +
        `actual checksum Type: ${plan.checksum.algorithm.toLowerCase()}`,
    );
  }

  stats.partStarted();
  try {
    const temp = store.tempFile();
    const received = await receiveToFile(ctx, plan, temp, {
      onBytes: (bytes) => stats.partBytesArrived(bytes),
      alsoCompute: uploadAlgorithm === null ? [] : [uploadAlgorithm],
    });
    const part = await uploads
      .storePart(
        upload,
        {
          partNumber,
          etag: `"${received.md5.toString('hex')}"`,
          sizeBytes: received.sizeBytes,
          lastModifiedMs: Date.now(),
          checksums: received.checksums,
        },
        temp,
      )
      .catch(async (error: unknown) => {
        await removeQuietly(temp);
        throw error;
      });
    stats.partStored(part.sizeBytes);
    const answered = [plan.checksum?.algorithm, uploadAlgorithm].filter(
      (algorithm): algorithm is ChecksumAlgorithm => algorithm !== undefined && algorithm !== null,
    );
    sendEmpty(ctx.res, 200, { ETag: part.etag, ...checksumHeaders(part.checksums, answered) });
  } finally {
    stats.partEnded();
  }
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const { bucket, key, query } = ctx.route;
  const upload = ctx.services.uploads.get(bucket, key, query.get('uploadId') ?? '');
  const maxParts = parseMaxCount('max-parts', query.get('max-parts'));
  const marker = parseMarker(query.get('part-number-marker'));
  const after = [...upload.parts.values()]
    .filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  const algorithm = upload.record.checksumAlgorithm;
  sendXml(
    ctx.res,
    200,
    xmlDocument('ListPartsResult', [
      el('Bucket', bucket),
      el('Key', key),
      el('UploadId', upload.record.uploadId),
      el('PartNumberMarker', marker),
      el('NextPartNumberMarker', page.at(-1)?.partNumber ?? marker),
      el('MaxParts', maxParts),
      el('IsTruncated', truncated),
      ...page.map(partXml),
      el('Initiator', ownerXml()),
      el('Owner', ownerXml()),
      el('StorageClass', 'STANDARD'),
      el('ChecksumAlgorithm', algorithm),
      el('ChecksumType', algorithm === null ? null : 'COMPOSITE'),
    ]),
  );
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const { uploads, store, faults, minPartBytes } = ctx.services;
  const { bucket, key, query } = ctx.route;
  const upload = uploads.get(bucket, key, query.get('uploadId') ?? '');
  const condition = writeConditionFrom(ctx.req.headers);
  const plan = planBody(ctx.req.headers, ctx.auth, MAX_COMPLETE_BODY_BYTES);
  const { text: xml } = await receiveText(ctx.req, plan, bodyHooks(ctx));
  if (faults.completeAnswersError()) {
    // S3 sends 200 at once and then keeps the connection alive while it assembles; a failure that
    // late can only be told in the body. The upload stays, as it does when S3 fails this way.
    sendXml(ctx.res, 200, errorDocument([
      el('Code', 'InternalError'),
      el('Message', 'We encountered an internal error. Please try again.'),
      el('RequestId', ctx.requestId),
    ]));
    return;
  }
  const requested = parseCompleteMultipartUpload(xml);

  const record = await uploads.exclusive(upload, async () => {
    const parts = checkRequestedParts(upload, requested, minPartBytes);
    const algorithm = upload.record.checksumAlgorithm;
    const partMd5s = Buffer.concat(parts.map((part) => Buffer.from(bareEtag(part.etag), 'hex')));
    const committed = await store.commitObject(
      bucket,
      {
        key,
        sizeBytes: parts.reduce((sum, part) => sum + part.sizeBytes, 0),
        etag: `"${createHash('md5').update(partMd5s).digest('hex')}-${parts.length}"`,
        lastModifiedMs: Date.now(),
        contentType: upload.record.contentType,
        headers: upload.record.headers,
        metadata: upload.record.metadata,
        checksum: compositeOf(algorithm, parts),
        multipart: true,
      },
      parts.map((part) => ({ path: uploads.partPath(upload, part), sizeBytes: part.sizeBytes, checksums: part.checksums })),
      'link',
      condition,
    );
    await uploads.remove(upload);
    return committed;
  });

  const checksum = record.checksum;
  sendXml(
    ctx.res,
    200,
    xmlDocument('CompleteMultipartUploadResult', [
      el('Location', `${ctx.services.endpoint()}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`),
      el('Bucket', bucket),
      el('Key', key),
      el('ETag', record.etag),
      checksum === null ? '' : el(`Checksum${checksum.algorithm}`, checksum.value),
      el('ChecksumType', checksum?.type),
    ]),
    checksum === null ? {} : { [checksumHeaderName(checksum.algorithm)]: checksum.value },
  );
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const { uploads } = ctx.services;
  const { bucket, key, query } = ctx.route;
  const upload = uploads.get(bucket, key, query.get('uploadId') ?? '');
  await uploads.exclusive(upload, () => uploads.remove(upload));
  sendEmpty(ctx.res, 204);
}

/** S3's checks, in S3's order: ascending numbers, each part present with its ETag, checksums, sizes. */
function checkRequestedParts(upload: UploadState, requested: readonly RequestedPart[], minPartBytes: number): PartRecord[] {
  const uploadId = upload.record.uploadId;
  for (let i = 1; i < requested.length; i++) {
    if ((requested[i]?.partNumber ?? 0) <= (requested[i - 1]?.partNumber ?? 0)) {
      throw new S3Error('InvalidPartOrder', undefined, { fields: { UploadId: uploadId } });
    }
  }
  const algorithm = upload.record.checksumAlgorithm;
  const parts = requested.map((wanted) => {
    const part = upload.parts.get(wanted.partNumber);
    const invalid = (): S3Error =>
      new S3Error('InvalidPart', undefined, {
        fields: { UploadId: uploadId, PartNumber: wanted.partNumber, ETag: wanted.etag },
      });
    if (part === undefined || bareEtag(part.etag) !== bareEtag(wanted.etag)) throw invalid();
    if (algorithm !== null && wanted.checksums[algorithm] === undefined) {
      throw new S3Error(
        'InvalidRequest',
        `The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include ` +
          `the checksum for each part. It was missing for part ${wanted.partNumber} in the request.`,
      );
    }
    for (const [name, value] of Object.entries(wanted.checksums)) {
      const stored = Object.entries(part.checksums).find(([storedName]) => storedName === name)?.[1];
      if (stored !== undefined && stored !== value) throw invalid();
    }
    return part;
  });
  parts.forEach((part, index) => {
    if (index < parts.length - 1 && part.sizeBytes < minPartBytes) {
      throw new S3Error('EntityTooSmall', undefined, {
        fields: { ProposedSize: part.sizeBytes, MinSizeAllowed: minPartBytes, PartNumber: part.partNumber, ETag: part.etag },
      });
    }
  });
  return parts;
}

function compositeOf(algorithm: ChecksumAlgorithm | null, parts: readonly PartRecord[]): ObjectRecord['checksum'] {
  if (algorithm === null) return null;
  const values = parts.map((part) => part.checksums[algorithm] ?? '');
  return { algorithm, value: compositeChecksum(algorithm, values), type: 'COMPOSITE' };
}

function partXml(part: PartRecord): string {
  return el('Part', [
    el('PartNumber', part.partNumber),
    el('LastModified', isoTime(part.lastModifiedMs)),
    el('ETag', part.etag),
    el('Size', part.sizeBytes),
    ...Object.entries(part.checksums).map(([algorithm, value]) => el(`Checksum${algorithm}`, value)),
  ]);
}

function parsePartNumber(raw: string | null): number {
  const partNumber = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
      fields: { ArgumentName: 'partNumber', ArgumentValue: raw ?? '' },
    });
  }
  return partNumber;
}

function parseMarker(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  const marker = Number(raw);
  if (!Number.isInteger(marker) || marker < 0) {
    throw new S3Error('InvalidArgument', 'Provided part-number-marker not an integer or within integer range', {
      fields: { ArgumentName: 'part-number-marker', ArgumentValue: raw },
    });
  }
  return marker;
}
