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

/** `file:///abs/dir`, `s3://bucket/prefix?endpoint=…&region=…`, `gs://bucket/prefix?endpoint=…&project=…`. */
export const DestinationUrl = z
  .string()
  .min(1)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return url.protocol === 'file:' || url.protocol === 's3:' || url.protocol === 'gs:';
    } catch {
      return false;
    }
  }, 'expected a destination URL such as file:///path/to/folder, s3://bucket/prefix or gs://bucket/prefix');
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
// Without the defaults: `Settings.partial()` would fill every absent field with its default, so a
// patch of one field would silently reset all the others (destinations included).
export const SettingsPatch = z.object({
  partSizeBytes: Settings.shape.partSizeBytes.removeDefault().optional(),
  concurrency: Settings.shape.concurrency.removeDefault().optional(),
  filesInFlight: Settings.shape.filesInFlight.removeDefault().optional(),
  bandwidthLimitBytesPerSec: Settings.shape.bandwidthLimitBytesPerSec.removeDefault().optional(),
  stallTimeoutMs: Settings.shape.stallTimeoutMs.removeDefault().optional(),
  maxAttempts: Settings.shape.maxAttempts.removeDefault().optional(),
  retryBaseDelayMs: Settings.shape.retryBaseDelayMs.removeDefault().optional(),
  retryMaxDelayMs: Settings.shape.retryMaxDelayMs.removeDefault().optional(),
  checksum: Settings.shape.checksum.removeDefault().optional(),
  destinations: Settings.shape.destinations.removeDefault().optional(),
});
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
// Watched folders (sync roots)

export const SyncDeletions = z.enum(['keep', 'mirror']);
export type SyncDeletions = z.infer<typeof SyncDeletions>;

export const SyncRootOptions = z.object({
  /** 'keep': a file deleted locally stays in the store; 'mirror': it is deleted there too. */
  deletions: SyncDeletions.default('keep'),
  followSymlinks: z.boolean().default(false),
});
export type SyncRootOptions = z.infer<typeof SyncRootOptions>;

/** 'stopped': not running in this process (listed from the journal, or after an error stopped it). */
export const SyncRootState = z.enum(['scanning', 'watching', 'paused', 'error', 'stopped']);
export type SyncRootState = z.infer<typeof SyncRootState>;

/** A path the root could not sync (or a remote change it overwrote), newest first. */
export const SyncProblem = z.object({
  path: z.string(),
  error: ErrorInfo,
  at: z.number(),
});
export type SyncProblem = z.infer<typeof SyncProblem>;

export const SyncRootView = z.object({
  id: z.string(),
  folder: z.string(),
  destination: DestinationUrl,
  options: SyncRootOptions,
  state: SyncRootState,
  /** Files changed locally and not yet uploaded (queued or uploading). */
  pendingCount: z.number().int().min(0),
  /** Files that could not be uploaded (unreadable, rejected by the store); retried on the next scan. */
  failedCount: z.number().int().min(0),
  lastSyncedAt: z.number().nullable(),
  /** The most recent problems (a bounded list); `error` when the root as a whole stopped. */
  errors: z.array(SyncProblem),
  error: ErrorInfo.nullable(),
});
export type SyncRootView = z.infer<typeof SyncRootView>;

const SyncRootId = z.object({ id: z.string().min(1) });

// ---------------------------------------------------------------------------------------------
// Credentials, per destination: entered in the window, kept by the shell (the OS keychain in the
// app, an owner-only file in the host's home), used when the destination is opened, never sent back.

const MAX_SECRET_CHARS = 8 * KiB; // far beyond any real key or session token; bounds what a page can make us store
const MAX_KEY_JSON_CHARS = 64 * KiB; // a service account key file is about 2 KiB

export const S3DestinationCredentials = z.object({
  kind: z.literal('s3'),
  accessKeyId: z.string().trim().min(1, 'the access key id is empty').max(256),
  secretAccessKey: z.string().min(1, 'the secret access key is empty').max(MAX_SECRET_CHARS),
  sessionToken: z.string().min(1).max(MAX_SECRET_CHARS).optional(),
});

/** The parts of a Google service account key that authenticate. */
export const GcsServiceAccountKey = z.object({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  project_id: z.string().min(1).optional(),
});
export type GcsServiceAccountKey = z.infer<typeof GcsServiceAccountKey>;

/** A service account key: a file on the machine core runs on, or the key file's JSON itself. */
export const GcsDestinationCredentials = z
  .object({
    kind: z.literal('gcs'),
    keyFile: z.string().min(1).optional(),
    keyJson: z.string().min(1).max(MAX_KEY_JSON_CHARS).optional(),
  })
  .refine((value) => (value.keyFile === undefined) !== (value.keyJson === undefined), 'give either a key file path or the key JSON, not both')
  .refine((value) => value.keyJson === undefined || parseServiceAccountKey(value.keyJson) !== null, 'the key JSON is not a service account key (it needs client_email and private_key)');

export const DestinationCredentials = z.discriminatedUnion('kind', [S3DestinationCredentials, GcsDestinationCredentials]);
export type DestinationCredentials = z.infer<typeof DestinationCredentials>;

/** All a window learns about stored credentials: whether there are any, and of which kind. */
export const CredentialsStatus = z.object({
  destinationId: z.string(),
  set: z.boolean(),
  kind: z.enum(['s3', 'gcs']).nullable(),
});
export type CredentialsStatus = z.infer<typeof CredentialsStatus>;

export function parseServiceAccountKey(json: string): GcsServiceAccountKey | null {
  try {
    const parsed = GcsServiceAccountKey.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Commands (calls) and queries

const Ids = z.object({ ids: z.array(z.string().min(1)).min(1) });

/** A staging batch: one drop in a browser. Letters, digits, `-` and `_` only, so it is a safe folder name. */
export const StagingBatchId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a batch id of letters, digits, - or _');
export type StagingBatchId = z.infer<typeof StagingBatchId>;

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
    /** `warnings`: what works but has a limit, e.g. a store that ignores conditional writes (single-writer only). */
    output: z.object({ latencyMs: z.number().min(0), warnings: z.array(z.string()).optional() }),
  },
  /**
   * Queues what a browser streamed into the staging batch `batch` (PUT /api/stage on the loopback
   * host): each top-level item of the batch is queued as if that file or folder had been dropped.
   */
  addStaged: {
    input: z.object({ batch: StagingBatchId, destination: DestinationUrl }),
    output: z.object({ ids: z.array(z.string()) }),
  },
  /** Keeps `folder` synced to `destination` from now on (and across restarts). */
  addSyncRoot: {
    input: z.object({ folder: z.string().min(1), destination: DestinationUrl, options: SyncRootOptions.partial().optional() }),
    output: SyncRootView,
  },
  /** Stops syncing the folder and forgets its index; what was uploaded stays in the store. */
  removeSyncRoot: { input: SyncRootId, output: z.object({ id: z.string() }) },
  listSyncRoots: { input: z.object({}), output: z.array(SyncRootView) },
  pauseSyncRoot: { input: SyncRootId, output: SyncRootView },
  resumeSyncRoot: { input: SyncRootId, output: SyncRootView },
  /**
   * Stores (or, with null, forgets) the credentials of a destination. Handled by the shell, which
   * keeps the secret; the answer says only whether credentials are set.
   */
  setCredentials: {
    input: z.object({ destinationId: z.string().min(1), credentials: DestinationCredentials.nullable() }),
    output: CredentialsStatus,
  },
  /** Which destinations have credentials stored (never the credentials themselves). */
  listCredentials: { input: z.object({}), output: z.array(CredentialsStatus) },
} as const;
export type CommandName = keyof typeof Commands;
export type CommandInput<C extends CommandName> = z.infer<(typeof Commands)[C]['input']>;
export type CommandOutput<C extends CommandName> = z.infer<(typeof Commands)[C]['output']>;

// ---------------------------------------------------------------------------------------------
// Events (facts)

export const TierdropEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('transfer.updated'), transfer: TransferView }),
  /** New transfers, queued together (a dropped folder arrives as a few of these, not one per file). */
  z.object({ type: z.literal('transfers.added'), transfers: z.array(TransferView) }),
  z.object({ type: z.literal('transfer.progress'), items: z.array(TransferProgress) }),
  z.object({ type: z.literal('transfer.finished'), transfer: TransferView }),
  z.object({
    type: z.literal('journal.recovered'),
    resumedIds: z.array(z.string()),
    setAsidePath: z.string().nullable(),
    message: z.string(),
  }),
  /** A sync root's state, counts or problems changed (coalesced: a few a second at most per root). */
  z.object({ type: z.literal('sync.updated'), root: SyncRootView }),
]);
export type TierdropEvent = z.infer<typeof TierdropEvent>;

/** The transfers an event reports whole (added, updated or finished); none for the other events. */
export function transferViewsOf(event: TierdropEvent): readonly TransferView[] {
  if (event.type === 'transfers.added') return event.transfers;
  if (event.type === 'transfer.updated' || event.type === 'transfer.finished') return [event.transfer];
  return [];
}

// ---------------------------------------------------------------------------------------------
// What a shell sends a window when it connects (the loopback host's first SSE message)

export const Snapshot = z.object({
  transfers: z.array(TransferView),
  settings: Settings,
  /** The fact to tell a person at start, such as "Resumed 3 transfers from your last session". */
  notice: z.string().nullable(),
});
export type Snapshot = z.infer<typeof Snapshot>;
