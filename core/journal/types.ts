// Row shapes of the journal, validated with zod whenever a row is read back from SQLite.
import { z } from 'zod';
import { ErrorCode, TransferState } from '../contract/index.js';

export const PartState = z.enum(['pending', 'sent']);
export type PartState = z.infer<typeof PartState>;

export const UploadRow = z.object({
  id: z.string(),
  destination: z.string(),
  sourcePath: z.string(),
  key: z.string(),
  sizeBytes: z.number().int().min(0),
  /** Fingerprint of the source when the upload was planned. */
  mtimeMs: z.number(),
  inode: z.string(),
  /** 0 for a single-request upload. */
  partSizeBytes: z.number().int().min(0),
  state: TransferState,
  /** The object revision this upload writes (tiered storage), or null. */
  revision: z.string().nullable(),
  /** The store's multipart upload id, once initiated. */
  backendUploadId: z.string().nullable(),
  errorCode: ErrorCode.nullable(),
  errorMessage: z.string().nullable(),
  errorRetryable: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type UploadRow = z.infer<typeof UploadRow>;

export const PartRow = z.object({
  uploadId: z.string(),
  partNo: z.number().int().min(1),
  offsetBytes: z.number().int().min(0),
  lengthBytes: z.number().int().min(0),
  etag: z.string().nullable(),
  checksum: z.string().nullable(),
  state: PartState,
});
export type PartRow = z.infer<typeof PartRow>;

export type NewUpload = Omit<UploadRow, 'createdAt' | 'updatedAt' | 'errorCode' | 'errorMessage' | 'errorRetryable' | 'revision' | 'backendUploadId' | 'state'> & {
  state?: TransferState;
};

export interface PartPlan {
  partNo: number;
  offsetBytes: number;
  lengthBytes: number;
}

export type UploadPatch = Partial<
  Pick<
    UploadRow,
    | 'state'
    | 'revision'
    | 'backendUploadId'
    | 'errorCode'
    | 'errorMessage'
    | 'errorRetryable'
    | 'sizeBytes'
    | 'mtimeMs'
    | 'inode'
    | 'partSizeBytes'
  >
>;

/** What the journal found when it opened its file. */
export interface OpenReport {
  /** Where a damaged or foreign file was moved, or null when the file was fine or new. */
  setAsidePath: string | null;
  /** Why it was set aside, in words a person can act on. */
  reason: string | null;
}

export const PartProgress = z.object({
  partsDone: z.number().int().min(0),
  partsTotal: z.number().int().min(0),
  /** Bytes of the parts the store has acknowledged. */
  bytesDone: z.number().int().min(0),
});
export type PartProgress = z.infer<typeof PartProgress>;

export interface UploadFilter {
  /** Only uploads in one of these states; an empty list matches nothing. */
  states?: TransferState[];
  destination?: string;
}

export interface JournalOptions {
  /** The clock for createdAt / updatedAt and set-aside names; Date.now unless a test fixes it. */
  now?: () => number;
}
