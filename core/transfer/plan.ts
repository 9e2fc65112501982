// Part planning: how a file of a given size is split into multipart parts within S3's limits.
import { MAX_OBJECT_BYTES, MiB, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';
import type { PartPlan } from '../journal/types.js';

/** Files up to this size go in one request, read whole first so a change mid-read is never sent. */
export const SINGLE_REQUEST_MAX_BYTES = 16 * MiB;

export interface UploadPlan {
  /** 0 when the file goes in one request. */
  partSizeBytes: number;
  parts: PartPlan[];
}

/**
 * A small file (no larger than one part, and at most 16 MiB) goes in one PUT; a larger one is split into parts of
 * max(configured, ceil(size / 10,000)) bytes so that even a 5 TiB file fits S3's part count.
 */
export function planUpload(sizeBytes: number, configuredPartSizeBytes: number, minPartBytes = MIN_PART_BYTES): UploadPlan {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new TierdropError('internal', `Cannot plan an upload of ${sizeBytes} bytes.`);
  }
  if (sizeBytes > MAX_OBJECT_BYTES) {
    throw new TierdropError('invalid_input', `The file is ${formatBytes(sizeBytes)}; object stores accept at most 5 TiB per object.`, {
      hint: 'Split the file before uploading it.',
    });
  }
  const partSizeBytes = Math.min(
    MAX_PART_BYTES,
    Math.max(configuredPartSizeBytes, minPartBytes, Math.ceil(sizeBytes / MAX_PARTS)),
  );
  if (sizeBytes <= Math.min(partSizeBytes, SINGLE_REQUEST_MAX_BYTES)) return { partSizeBytes: 0, parts: [] };

  const parts: PartPlan[] = [];
  for (let offsetBytes = 0, partNo = 1; offsetBytes < sizeBytes; offsetBytes += partSizeBytes, partNo += 1) {
    parts.push({ partNo, offsetBytes, lengthBytes: Math.min(partSizeBytes, sizeBytes - offsetBytes) });
  }
  return { partSizeBytes, parts };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** Parses `8MiB`, `16M`, `5mb`, `1073741824` into bytes (binary units, as people mean them for part sizes). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) {
    throw new TierdropError('invalid_input', `"${text}" is not a size; write it like 8MiB, 16M or 1048576.`);
  }
  const exponent = ['', 'k', 'm', 'g', 't'].indexOf((match[2] ?? '').toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** exponent);
}
