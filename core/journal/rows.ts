// How rows cross between SQLite and TypeScript: snake_case columns selected as camelCase fields,
// 0/1 as booleans, and every row read back checked against the schemas in types.ts.
import { z } from 'zod';
import { TierdropError } from '../errors/index.js';
import { PartProgress, PartRow, UploadRow } from './types.js';

export const UPLOAD_COLUMNS = `
  id, destination, source_path AS sourcePath, key, size_bytes AS sizeBytes, mtime_ms AS mtimeMs,
  inode, part_size_bytes AS partSizeBytes, state, revision, backend_upload_id AS backendUploadId,
  error_code AS errorCode, error_message AS errorMessage, error_retryable AS errorRetryable,
  created_at AS createdAt, updated_at AS updatedAt`;

export const PART_COLUMNS = `
  upload_id AS uploadId, part_no AS partNo, offset_bytes AS offsetBytes,
  length_bytes AS lengthBytes, etag, checksum, state`;

const StoredUploadRow = UploadRow.extend({
  errorRetryable: z.union([z.literal(0), z.literal(1)]).transform((stored) => stored === 1),
});

/** Named parameters of the uploads statements: a row as SQLite can bind it. */
export interface UploadParams {
  id: string;
  destination: string;
  sourcePath: string;
  key: string;
  sizeBytes: number;
  mtimeMs: number;
  inode: string;
  partSizeBytes: number;
  state: string;
  revision: string | null;
  backendUploadId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorRetryable: 0 | 1;
  createdAt: number;
  updatedAt: number;
}

export function uploadParams(row: UploadRow): UploadParams {
  return { ...row, errorRetryable: row.errorRetryable ? 1 : 0 };
}

/** A row as positional parameters, in the column order of UPLOAD_COLUMNS. */
export type UploadValues = [
  id: string,
  destination: string,
  sourcePath: string,
  key: string,
  sizeBytes: number,
  mtimeMs: number,
  inode: string,
  partSizeBytes: number,
  state: string,
  revision: string | null,
  backendUploadId: string | null,
  errorCode: string | null,
  errorMessage: string | null,
  errorRetryable: 0 | 1,
  createdAt: number,
  updatedAt: number,
];

export function uploadValues(row: UploadRow): UploadValues {
  return [
    row.id,
    row.destination,
    row.sourcePath,
    row.key,
    row.sizeBytes,
    row.mtimeMs,
    row.inode,
    row.partSizeBytes,
    row.state,
    row.revision,
    row.backendUploadId,
    row.errorCode,
    row.errorMessage,
    row.errorRetryable ? 1 : 0,
    row.createdAt,
    row.updatedAt,
  ];
}

function invalidRow(what: string, error: z.ZodError): TierdropError {
  return new TierdropError('internal', `The journal holds ${what} Tierdrop cannot read: ${z.prettifyError(error)}`, {
    cause: error,
  });
}

export function uploadFromRow(raw: unknown): UploadRow {
  const parsed = StoredUploadRow.safeParse(raw);
  if (!parsed.success) throw invalidRow('an upload', parsed.error);
  return parsed.data;
}

export function partFromRow(raw: unknown): PartRow {
  const parsed = PartRow.safeParse(raw);
  if (!parsed.success) throw invalidRow('a part', parsed.error);
  return parsed.data;
}

export function progressFromRow(raw: unknown): PartProgress {
  const parsed = PartProgress.safeParse(raw);
  if (!parsed.success) throw invalidRow('part progress', parsed.error);
  return parsed.data;
}
