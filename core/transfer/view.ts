// What a person sees of one upload, built from its journal row, its parts and, while it runs,
// the live meter. The engine and `tierdrop status` both show uploads through this one function.
import type { ErrorInfo, TransferView } from '../contract/index.js';
import type { PartProgress, UploadRow } from '../journal/index.js';

export interface LiveProgress {
  bytesDone: number;
  speedBytesPerSec: number;
  etaSeconds: number | null;
}

export function toTransferView(row: UploadRow, parts: PartProgress, live: LiveProgress | null): TransferView {
  const settledBytes = row.state === 'done' ? row.sizeBytes : row.partSizeBytes === 0 ? 0 : parts.bytesDone;
  const error: ErrorInfo | null =
    row.errorCode === null ? null : { code: row.errorCode, message: row.errorMessage ?? '', retryable: row.errorRetryable };
  return {
    id: row.id,
    destination: row.destination,
    sourcePath: row.sourcePath,
    key: row.key,
    sizeBytes: row.sizeBytes,
    bytesDone: live?.bytesDone ?? settledBytes,
    partsDone: parts.partsDone,
    partsTotal: parts.partsTotal,
    state: row.state,
    error,
    speedBytesPerSec: live?.speedBytesPerSec ?? 0,
    etaSeconds: live ? live.etaSeconds : row.state === 'done' ? 0 : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
