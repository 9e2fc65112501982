// The watched-folder tables (migration 3): sync roots, and per path of a root what was last
// uploaded or waits to be. Rows read back are checked; batches of writes share one transaction.
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { TierdropError } from '../errors/index.js';

export const DeletionPolicy = z.enum(['keep', 'mirror']);
export type DeletionPolicy = z.infer<typeof DeletionPolicy>;

const Flag = z.union([z.literal(0), z.literal(1)]).transform((stored) => stored === 1);

export const SyncRootRow = z.object({
  id: z.string(),
  folder: z.string(),
  destination: z.string(),
  deletions: DeletionPolicy,
  followSymlinks: Flag,
  paused: Flag,
  /** When the destination's listing was compared with the folder; that happens once per root. */
  listedAt: z.number().int().nullable(),
  lastSyncedAt: z.number().int().nullable(),
  /** Bumped by every full scan; entries not seen by the latest one are gone from the folder. */
  scanNo: z.number().int().min(0),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type SyncRootRow = z.infer<typeof SyncRootRow>;

export type NewSyncRoot = Pick<SyncRootRow, 'id' | 'folder' | 'destination' | 'deletions' | 'followSymlinks'>;
export type SyncRootPatch = Partial<Pick<SyncRootRow, 'deletions' | 'followSymlinks' | 'paused' | 'listedAt' | 'lastSyncedAt' | 'scanNo'>>;

export const SyncEntryStatus = z.enum(['synced', 'pending', 'failed']);
export type SyncEntryStatus = z.infer<typeof SyncEntryStatus>;

export const SyncEntryRow = z.object({
  rootId: z.string(),
  /** The key below the destination prefix: NFC, '/' separators. */
  key: z.string(),
  /** The path relative to the root folder as the OS spells it (macOS may hand out NFD names). */
  localPath: z.string(),
  /** The key case-folded, to find two paths that differ only in case. */
  foldKey: z.string(),
  /** For a synced entry what was uploaded, for a pending one what was last seen. */
  sizeBytes: z.number().int().min(0),
  mtimeMs: z.number(),
  inode: z.string(),
  /** sha256 (hex) of the content last uploaded, null before the first upload. */
  contentHash: z.string().nullable(),
  /** The store's ETag of the object after our last upload: another writer's change shows as a different one. */
  remoteEtag: z.string().nullable(),
  /** The transfer queued for this entry, until its outcome is recorded here. */
  uploadId: z.string().nullable(),
  status: SyncEntryStatus,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  scanNo: z.number().int().min(0),
  updatedAt: z.number().int(),
});
export type SyncEntryRow = z.infer<typeof SyncEntryRow>;

/** What a rescan compares with the walked file; most files match and need nothing more. */
export const SyncEntryPrint = SyncEntryRow.pick({ key: true, localPath: true, sizeBytes: true, mtimeMs: true, inode: true, status: true });
export type SyncEntryPrint = z.infer<typeof SyncEntryPrint>;

/** What a scan or the watcher saw of a file. */
export interface SeenFile {
  key: string;
  localPath: string;
  sizeBytes: number;
  mtimeMs: number;
  inode: string;
}

const ROOT_COLUMNS = `
  id, folder, destination, deletions, follow_symlinks AS followSymlinks, paused, listed_at AS listedAt,
  last_synced_at AS lastSyncedAt, scan_no AS scanNo, created_at AS createdAt, updated_at AS updatedAt`;

const ENTRY_COLUMNS = `
  root_id AS rootId, key, local_path AS localPath, fold_key AS foldKey, size_bytes AS sizeBytes,
  mtime_ms AS mtimeMs, inode, content_hash AS contentHash, remote_etag AS remoteEtag, upload_id AS uploadId,
  status, error_code AS errorCode, error_message AS errorMessage, scan_no AS scanNo, updated_at AS updatedAt`;

const Count = z.object({ count: z.number().int() });

function checked<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new TierdropError('journal_damaged', `A ${what} row in the journal is not valid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Case-folded key; locale-independent so every machine folds the same way. */
export function foldKey(key: string): string {
  return key.toLowerCase();
}

export class SyncIndexStore {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #sql;

  constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
    this.#sql = {
      insertRoot: db.prepare<[SyncRootRow & { followSymlinksFlag: number; pausedFlag: number }]>(`
        INSERT INTO sync_roots (id, folder, destination, deletions, follow_symlinks, paused, listed_at, last_synced_at,
                                scan_no, created_at, updated_at)
        VALUES (@id, @folder, @destination, @deletions, @followSymlinksFlag, @pausedFlag, @listedAt, @lastSyncedAt,
                @scanNo, @createdAt, @updatedAt)`),
      updateRoot: db.prepare<[SyncRootRow & { followSymlinksFlag: number; pausedFlag: number }]>(`
        UPDATE sync_roots SET deletions = @deletions, follow_symlinks = @followSymlinksFlag, paused = @pausedFlag,
          listed_at = @listedAt, last_synced_at = @lastSyncedAt, scan_no = @scanNo, updated_at = @updatedAt
        WHERE id = @id`),
      getRoot: db.prepare<[string]>(`SELECT ${ROOT_COLUMNS} FROM sync_roots WHERE id = ?`),
      listRoots: db.prepare<[]>(`SELECT ${ROOT_COLUMNS} FROM sync_roots ORDER BY created_at, id`),
      deleteRoot: db.prepare<[string]>('DELETE FROM sync_roots WHERE id = ?'),
      getEntry: db.prepare<[string, string]>(`SELECT ${ENTRY_COLUMNS} FROM sync_index WHERE root_id = ? AND key = ?`),
      // A scan looks up a batch of walked files in one statement (the keys as a JSON array).
      getPrints: db.prepare<[string, string]>(`
        SELECT key, local_path AS localPath, size_bytes AS sizeBytes, mtime_ms AS mtimeMs, inode, status
        FROM sync_index WHERE root_id = ? AND key IN (SELECT value FROM json_each(?))`),
      // A change to a file makes its entry pending again; what was last uploaded (hash, ETag) stays,
      // since it is what the store holds until the new upload lands.
      markPending: db.prepare<[SeenFile & { rootId: string; foldKey: string; scanNo: number; updatedAt: number }]>(`
        INSERT INTO sync_index (root_id, key, local_path, fold_key, size_bytes, mtime_ms, inode, status, scan_no, updated_at)
        VALUES (@rootId, @key, @localPath, @foldKey, @sizeBytes, @mtimeMs, @inode, 'pending', @scanNo, @updatedAt)
        ON CONFLICT (root_id, key) DO UPDATE SET local_path = excluded.local_path, size_bytes = excluded.size_bytes,
          mtime_ms = excluded.mtime_ms, inode = excluded.inode, status = 'pending', error_code = NULL,
          error_message = NULL, scan_no = excluded.scan_no, updated_at = excluded.updated_at`),
      markSynced: db.prepare<[SeenFile & { rootId: string; foldKey: string; contentHash: string; remoteEtag: string | null; scanNo: number; updatedAt: number }]>(`
        INSERT INTO sync_index (root_id, key, local_path, fold_key, size_bytes, mtime_ms, inode, content_hash, remote_etag,
                                status, scan_no, updated_at)
        VALUES (@rootId, @key, @localPath, @foldKey, @sizeBytes, @mtimeMs, @inode, @contentHash, @remoteEtag,
                'synced', @scanNo, @updatedAt)
        ON CONFLICT (root_id, key) DO UPDATE SET local_path = excluded.local_path, size_bytes = excluded.size_bytes,
          mtime_ms = excluded.mtime_ms, inode = excluded.inode, content_hash = excluded.content_hash,
          remote_etag = excluded.remote_etag, upload_id = NULL, status = 'synced', error_code = NULL,
          error_message = NULL, updated_at = excluded.updated_at`),
      markFailed: db.prepare<[string, string, number, string, string]>(`
        UPDATE sync_index SET status = 'failed', upload_id = NULL, error_code = ?, error_message = ?, updated_at = ?
        WHERE root_id = ? AND key = ?`),
      setUpload: db.prepare<[string | null, number, string, string]>(
        'UPDATE sync_index SET upload_id = ?, updated_at = ? WHERE root_id = ? AND key = ?',
      ),
      markSeen: db.prepare<[number, string, string]>('UPDATE sync_index SET scan_no = ? WHERE root_id = ? AND key = ?'),
      markSeenMany: db.prepare<[number, string, string]>(
        'UPDATE sync_index SET scan_no = ? WHERE root_id = ? AND key IN (SELECT value FROM json_each(?))',
      ),
      unseen: db.prepare<[string, number, number]>(
        `SELECT ${ENTRY_COLUMNS} FROM sync_index WHERE root_id = ? AND scan_no < ? ORDER BY key LIMIT ?`,
      ),
      under: db.prepare<[string, string, string, number]>(
        `SELECT ${ENTRY_COLUMNS} FROM sync_index WHERE root_id = ? AND key > ? AND key < ? ORDER BY key LIMIT ?`,
      ),
      deleteEntry: db.prepare<[string, string]>('DELETE FROM sync_index WHERE root_id = ? AND key = ?'),
      nextPending: db.prepare<[string, number]>(
        // No ORDER BY: any pending entries will do, and sorting them all on every refill costs O(n).
        // INDEXED BY: without statistics SQLite walks the primary key instead, reading every entry
        // of the root on each refill; a rescan refills after every batch, so that was O(n²).
        `SELECT ${ENTRY_COLUMNS} FROM sync_index INDEXED BY sync_index_by_status
         WHERE root_id = ? AND status = 'pending' AND upload_id IS NULL LIMIT ?`,
      ),
      withUpload: db.prepare<[string]>(`SELECT ${ENTRY_COLUMNS} FROM sync_index WHERE root_id = ? AND upload_id IS NOT NULL`),
      countStatus: db.prepare<[string, string]>('SELECT COUNT(*) AS count FROM sync_index WHERE root_id = ? AND status = ?'),
      caseTwin: db.prepare<[string, string, string]>(
        'SELECT key FROM sync_index WHERE root_id = ? AND fold_key = ? AND key <> ? LIMIT 1',
      ),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Roots

  insertRoot(root: NewSyncRoot): SyncRootRow {
    const nowMs = Math.floor(this.#now());
    const row: SyncRootRow = { ...root, paused: false, listedAt: null, lastSyncedAt: null, scanNo: 0, createdAt: nowMs, updatedAt: nowMs };
    this.#sql.insertRoot.run(this.#rootParams(row));
    return row;
  }

  getRoot(id: string): SyncRootRow | null {
    const raw = this.#sql.getRoot.get(id);
    return raw === undefined ? null : checked(SyncRootRow, raw, 'sync root');
  }

  listRoots(): SyncRootRow[] {
    return this.#sql.listRoots.all().map((raw) => checked(SyncRootRow, raw, 'sync root'));
  }

  updateRoot(id: string, patch: SyncRootPatch): SyncRootRow {
    const current = this.getRoot(id);
    if (current === null) throw new TierdropError('not_found', `There is no sync root ${id}.`, { hint: 'Run `tierdrop sync --list` to see them.' });
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next: SyncRootRow = { ...current, ...changes, updatedAt: Math.floor(this.#now()) };
    this.#sql.updateRoot.run(this.#rootParams(next));
    return next;
  }

  /** Forgets the root and its whole index. */
  deleteRoot(id: string): void {
    this.#sql.deleteRoot.run(id);
  }

  // -------------------------------------------------------------------------------------------
  // Entries

  getEntry(rootId: string, key: string): SyncEntryRow | null {
    const raw = this.#sql.getEntry.get(rootId, key);
    return raw === undefined ? null : checked(SyncEntryRow, raw, 'sync index');
  }

  /** The fingerprints of the given keys that have entries, by key: one query for a batch of walked files. */
  getPrints(rootId: string, keys: readonly string[]): Map<string, SyncEntryPrint> {
    const found = new Map<string, SyncEntryPrint>();
    if (keys.length === 0) return found;
    for (const raw of this.#sql.getPrints.all(rootId, JSON.stringify(keys))) {
      const print = checked(SyncEntryPrint, raw, 'sync index');
      found.set(print.key, print);
    }
    return found;
  }

  markPending(rootId: string, file: SeenFile, scanNo: number): void {
    this.#sql.markPending.run({ ...file, rootId, foldKey: foldKey(file.key), scanNo, updatedAt: Math.floor(this.#now()) });
  }

  markSynced(rootId: string, file: SeenFile, contentHash: string, remoteEtag: string | null, scanNo: number): void {
    this.#sql.markSynced.run({ ...file, rootId, foldKey: foldKey(file.key), contentHash, remoteEtag, scanNo, updatedAt: Math.floor(this.#now()) });
  }

  markFailed(rootId: string, key: string, errorCode: string, errorMessage: string): void {
    this.#sql.markFailed.run(errorCode, errorMessage, Math.floor(this.#now()), rootId, key);
  }

  setUpload(rootId: string, key: string, uploadId: string | null): void {
    this.#sql.setUpload.run(uploadId, Math.floor(this.#now()), rootId, key);
  }

  markSeen(rootId: string, key: string, scanNo: number): void {
    this.#sql.markSeen.run(scanNo, rootId, key);
  }

  /** `markSeen` for many keys in one statement (a rescan finds most files unchanged). */
  markSeenMany(rootId: string, keys: readonly string[], scanNo: number): void {
    if (keys.length > 0) this.#sql.markSeenMany.run(scanNo, rootId, JSON.stringify(keys));
  }

  /** Up to `limit` entries the scan `scanNo` did not see, by key. */
  unseen(rootId: string, scanNo: number, limit: number): SyncEntryRow[] {
    return this.#sql.unseen.all(rootId, scanNo, limit).map((raw) => checked(SyncEntryRow, raw, 'sync index'));
  }

  /** Up to `limit` entries inside the folder `folderKey`, after `afterKey` (paging), by key. */
  under(rootId: string, folderKey: string, afterKey: string, limit: number): SyncEntryRow[] {
    // '0' is the character after '/', so [folder/, folder0) is exactly what lies inside the folder.
    const start = afterKey > `${folderKey}/` ? afterKey : `${folderKey}/`;
    return this.#sql.under.all(rootId, start, `${folderKey}0`, limit).map((raw) => checked(SyncEntryRow, raw, 'sync index'));
  }

  deleteEntry(rootId: string, key: string): void {
    this.#sql.deleteEntry.run(rootId, key);
  }

  /** Pending entries with no transfer queued yet, in no particular order. */
  nextPending(rootId: string, limit: number): SyncEntryRow[] {
    return this.#sql.nextPending.all(rootId, limit).map((raw) => checked(SyncEntryRow, raw, 'sync index'));
  }

  /** Entries whose transfer's outcome is not recorded yet (after a restart: the ones to adopt again). */
  withUpload(rootId: string): SyncEntryRow[] {
    return this.#sql.withUpload.all(rootId).map((raw) => checked(SyncEntryRow, raw, 'sync index'));
  }

  count(rootId: string, status: SyncEntryStatus): number {
    return Count.parse(this.#sql.countStatus.get(rootId, status)).count;
  }

  /** Another entry whose key differs from `key` only in case, or null. */
  caseTwin(rootId: string, key: string): string | null {
    const raw = this.#sql.caseTwin.get(rootId, foldKey(key), key);
    return raw === undefined ? null : z.object({ key: z.string() }).parse(raw).key;
  }

  /** Runs `fn` in one write transaction (a batch of index writes costs one commit). */
  batch<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  #rootParams(row: SyncRootRow) {
    return { ...row, followSymlinksFlag: row.followSymlinks ? 1 : 0, pausedFlag: row.paused ? 1 : 0 };
  }
}
