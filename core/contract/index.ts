// The one contract every shell speaks (CLI, loopback HTTP host, Electron IPC): commands, queries,
// events, settings and destination URLs, each a zod schema with its inferred type.
import { z } from 'zod';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

// ---------------------------------------------------------------------------------------------
// Errors as data

export const ErrorCode = z.enum([
  'invalid_input', // a command's arguments are wrong
  'source_missing', // the local file or folder is not there
  'source_unreadable', // permission denied or an I/O error reading the source
  'source_changed', // the file changed while it was being uploaded
  'source_loop', // a folder contains a link back to itself
  'not_found', // the bucket, object or upload does not exist in the store
  'access_denied', // the store refused the credentials or the action
  'invalid_credentials', // no credentials, or the store does not know them
  'unreachable', // the endpoint did not answer
  'store_error', // the store answered with an error (5xx, throttling, malformed answer)
  'conflict', // a compare-and-write lost, or an object is in the way
  'stalled', // no bytes moved for too long
  'disk_full', // no space left where the store writes
  'journal_damaged', // the journal file is not a Tierdrop journal or is corrupt
  'cancelled', // the transfer was cancelled
  'paused', // the transfer was paused while a request was in flight
  'internal', // a bug: an invariant did not hold
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean(),
  hint: z.string().optional(), // what a person can do about it
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: ErrorInfo }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Destinations

/** `file:///abs/dir`, `s3://bucket/prefix?endpoint=…&region=…`, later `gs://…`. */
export const DestinationUrl = z
  .string()
  .min(1)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return url.protocol === 'file:' || url.protocol === 's3:';
    } catch {
      return false;
    }
  }, 'expected a destination URL such as file:///path/to/folder or s3://bucket/prefix');
export type DestinationUrl = z.infer<typeof DestinationUrl>;

export const ChecksumChoice = z.enum(['crc32', 'none']);
export type ChecksumChoice = z.infer<typeof ChecksumChoice>;

export const Destination = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  url: DestinationUrl,
});
export type Destination = z.infer<typeof Destination>;

// ---------------------------------------------------------------------------------------------
// Settings

export const MIN_PART_BYTES = 5 * MiB; // S3's minimum for every part but the last
export const MAX_PART_BYTES = 5 * GiB; // S3's maximum part size
export const MAX_PARTS = 10_000; // S3's maximum part count
export const MAX_OBJECT_BYTES = 5 * TiB; // S3's maximum object size

export const Settings = z.object({
  partSizeBytes: z.number().int().min(MIN_PART_BYTES).max(MAX_PART_BYTES).default(8 * MiB),
  /** Parts in flight across all files. */
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Files uploading at once; the rest wait in the queue. */
  filesInFlight: z.number().int().min(1).max(64).default(4),
  /** 0 means no limit. */
  bandwidthLimitBytesPerSec: z.number().int().min(0).default(0),
  /** A request that moves no byte for this long is aborted and retried. */
  stallTimeoutMs: z.number().int().min(100).default(30_000),
  /** Attempts per request before the transfer fails (retryable). */
  maxAttempts: z.number().int().min(1).max(100).default(8),
  retryBaseDelayMs: z.number().int().min(0).default(500),
  retryMaxDelayMs: z.number().int().min(0).default(30_000),
  checksum: ChecksumChoice.default('crc32'),
  destinations: z.array(Destination).default([]),
});
export type Settings = z.infer<typeof Settings>;
export const SettingsPatch = Settings.partial();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

// ---------------------------------------------------------------------------------------------
// Transfers

export const TransferState = z.enum([
  'queued',
  'preparing',
  'uploading',
  'paused',
  'completing',
  'committing',
  'done',
  'failed',
  'cancelled',
]);
export type TransferState = z.infer<typeof TransferState>;

export const TransferView = z.object({
  id: z.string(),
  destination: DestinationUrl,
  sourcePath: z.string(),
  key: z.string(),
  sizeBytes: z.number().int().min(0),
  bytesDone: z.number().int().min(0),
  partsDone: z.number().int().min(0),
  partsTotal: z.number().int().min(0),
  state: TransferState,
  error: ErrorInfo.nullable(),
  speedBytesPerSec: z.number().min(0),
  etaSeconds: z.number().min(0).nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type TransferView = z.infer<typeof TransferView>;

export const TransferProgress = z.object({
  id: z.string(),
  bytesDone: z.number().int().min(0),
  sizeBytes: z.number().int().min(0),
  speedBytesPerSec: z.number().min(0),
  etaSeconds: z.number().min(0).nullable(),
});
export type TransferProgress = z.infer<typeof TransferProgress>;

// ---------------------------------------------------------------------------------------------
// Commands (calls) and queries

const Ids = z.object({ ids: z.array(z.string().min(1)).min(1) });

export const Commands = {
  addFiles: {
    input: z.object({
      paths: z.array(z.string().min(1)).min(1),
      destination: DestinationUrl,
    }),
    output: z.object({ ids: z.array(z.string()) }),
  },
  pause: { input: Ids, output: z.object({ ids: z.array(z.string()) }) },
  resume: { input: Ids, output: z.object({ ids: z.array(z.string()) }) },
  cancel: { input: Ids, output: z.object({ ids: z.array(z.string()) }) },
  retry: { input: Ids, output: z.object({ ids: z.array(z.string()) }) },
  pauseAll: { input: z.object({}), output: z.object({ ids: z.array(z.string()) }) },
  resumeAll: { input: z.object({}), output: z.object({ ids: z.array(z.string()) }) },
  setSettings: { input: SettingsPatch, output: Settings },
  getSettings: { input: z.object({}), output: Settings },
  listTransfers: {
    input: z.object({ states: z.array(TransferState).optional() }),
    output: z.array(TransferView),
  },
  /** Forgets finished (done or cancelled) transfers from the list; the objects stay in the store. */
  clearFinished: { input: z.object({}), output: z.object({ ids: z.array(z.string()) }) },
  listDestinations: { input: z.object({}), output: z.array(Destination) },
  addDestination: { input: Destination.omit({ id: true }), output: Destination },
  updateDestination: { input: Destination, output: Destination },
  removeDestination: { input: z.object({ id: z.string().min(1) }), output: z.object({ id: z.string() }) },
  /** Writes, reads back and deletes a small probe object; answers what failed and how to fix it. */
  testDestination: {
    input: z.object({ url: DestinationUrl }),
    output: z.object({ latencyMs: z.number().min(0) }),
  },
} as const;
export type CommandName = keyof typeof Commands;
export type CommandInput<C extends CommandName> = z.infer<(typeof Commands)[C]['input']>;
export type CommandOutput<C extends CommandName> = z.infer<(typeof Commands)[C]['output']>;

// ---------------------------------------------------------------------------------------------
// Events (facts)

export const TierdropEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('transfer.updated'), transfer: TransferView }),
  z.object({ type: z.literal('transfer.progress'), items: z.array(TransferProgress) }),
  z.object({ type: z.literal('transfer.finished'), transfer: TransferView }),
  z.object({
    type: z.literal('journal.recovered'),
    resumedIds: z.array(z.string()),
    setAsidePath: z.string().nullable(),
    message: z.string(),
  }),
]);
export type TierdropEvent = z.infer<typeof TierdropEvent>;
