// The journal: Tierdrop's durable record of every upload and each of its parts, written before
// the work it describes so the transfer engine can be rebuilt from it after a crash or restart.
import path from 'node:path';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { TransferState } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';
import { ChangeStore } from './changes.js';
import { openConnection } from './connection.js';
import { errorCodeOf, locationError } from './location.js';
import { migrate, readUserVersion } from './migrations/index.js';
import { openJournalFile } from './open.js';
import { SyncIndexStore } from './sync-index.js';
import { WriteQueue, type WriteUrgency } from './write-queue.js';
import {
  PART_COLUMNS,
  UPLOAD_COLUMNS,
  partFromRow,
  progressFromRow,
  uploadFromRow,
  uploadParams,
  uploadValues,
  type UploadParams,
  type UploadValues,
} from './rows.js';
import {
  UploadRow,
  type JournalOptions,
  type NewUpload,
  type OpenReport,
  type PartPlan,
  type PartProgress,
  type PartRow,
  type UploadFilter,
  type UploadPatch,
} from './types.js';

const IN_MEMORY = ':memory:';
/** Queued state writes are keyed by this and the upload id (the changelog's by `change:`). */
const UPLOAD_KEY_PREFIX = 'upload:';

const IntegrityLines = z.array(z.object({ integrity_check: z.string() }));
const ForeignKeyProblems = z.array(
  z.object({ table: z.string(), rowid: z.number().nullable(), parent: z.string(), fkid: z.number() }),
);
const ProgressByUpload = z.array(z.looseObject({ uploadId: z.string() }));

interface ListParams {
  states: string | null;
  destination: string | null;
}

function prepareStatements(db: Database.Database) {
  return {
    // Positional, not named: a folder of 10,000 files is 10,000 of these, and binding by name costs
    // a property lookup per column.
    insertUpload: db.prepare<UploadValues>(`
      INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                           revision, backend_upload_id, error_code, error_message, error_retryable, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // A new row: what no new upload has yet (revision, backend upload id, error) is left to the defaults.
    insertNewUpload: db.prepare<NewUploadValues>(`
      INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                           created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    setState: db.prepare<[string, number, string]>('UPDATE uploads SET state = ?, updated_at = ? WHERE id = ?'),
    updateUpload: db.prepare<[UploadParams]>(`
      UPDATE uploads SET destination = @destination, source_path = @sourcePath, key = @key, size_bytes = @sizeBytes,
        mtime_ms = @mtimeMs, inode = @inode, part_size_bytes = @partSizeBytes, state = @state, revision = @revision,
        backend_upload_id = @backendUploadId, error_code = @errorCode, error_message = @errorMessage,
        error_retryable = @errorRetryable, created_at = @createdAt, updated_at = @updatedAt
      WHERE id = @id`),
    getUpload: db.prepare<[string]>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ?`),
    // One statement for every filter: a null parameter means "any"; states arrive as a JSON list.
    listUploads: db.prepare<[ListParams]>(`
      SELECT ${UPLOAD_COLUMNS} FROM uploads
      WHERE (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
        AND (@destination IS NULL OR destination = @destination)
      ORDER BY created_at, rowid`),
    deleteUpload: db.prepare<[string]>('DELETE FROM uploads WHERE id = ?'),
    insertPart: db.prepare<[string, number, number, number]>(
      "INSERT INTO parts (upload_id, part_no, offset_bytes, length_bytes, state) VALUES (?, ?, ?, ?, 'pending')",
    ),
    deleteParts: db.prepare<[string]>('DELETE FROM parts WHERE upload_id = ?'),
    listParts: db.prepare<[string]>(`SELECT ${PART_COLUMNS} FROM parts WHERE upload_id = ? ORDER BY part_no`),
    markPartSent: db.prepare<[string, string | null, string, number]>(
      "UPDATE parts SET state = 'sent', etag = ?, checksum = ? WHERE upload_id = ? AND part_no = ?",
    ),
    resetParts: db.prepare<[string]>("UPDATE parts SET state = 'pending', etag = NULL, checksum = NULL WHERE upload_id = ?"),
    partProgress: db.prepare<[string]>(`
      SELECT COALESCE(SUM(state = 'sent'), 0) AS partsDone, COUNT(*) AS partsTotal,
             COALESCE(SUM(CASE WHEN state = 'sent' THEN length_bytes ELSE 0 END), 0) AS bytesDone
      FROM parts WHERE upload_id = ?`),
    partProgressByUpload: db.prepare<[]>(`
      SELECT upload_id AS uploadId, SUM(state = 'sent') AS partsDone, COUNT(*) AS partsTotal,
             SUM(CASE WHEN state = 'sent' THEN length_bytes ELSE 0 END) AS bytesDone
      FROM parts GROUP BY upload_id`),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

/** The columns a new upload sets, in the order of insertNewUpload. */
type NewUploadValues = [
  id: string,
  destination: string,
  sourcePath: string,
  key: string,
  sizeBytes: number,
  mtimeMs: number,
  inode: string,
  partSizeBytes: number,
  state: TransferState,
  createdAt: number,
  updatedAt: number,
];

function newUploadValues(row: UploadRow): NewUploadValues {
  return [row.id, row.destination, row.sourcePath, row.key, row.sizeBytes, row.mtimeMs, row.inode, row.partSizeBytes, row.state, row.createdAt, row.updatedAt];
}

/** A new upload's row, field by field (so nothing the caller's object carries besides rides along). */
function newUploadRow(upload: NewUpload, nowMs: number): UploadRow {
  return {
    id: upload.id,
    destination: upload.destination,
    sourcePath: upload.sourcePath,
    key: upload.key,
    sizeBytes: upload.sizeBytes,
    mtimeMs: upload.mtimeMs,
    inode: upload.inode,
    partSizeBytes: upload.partSizeBytes,
    state: upload.state ?? 'queued',
    revision: null,
    backendUploadId: null,
    errorCode: null,
    errorMessage: null,
    errorRetryable: false,
    createdAt: nowMs,
    updatedAt: nowMs,
  };
}

export class Journal {
  /** The journal file's absolute path, or `:memory:`. */
  readonly path: string;
  /** The tiered changelog and the upload-token key (migration 2). */
  readonly changes: ChangeStore;
  /** Watched folders: sync roots and their per-path index (migration 3). */
  readonly syncIndex: SyncIndexStore;
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #sql: Statements;
  readonly #createUploadTx: (row: UploadRow, parts: readonly PartPlan[]) => void;
  readonly #updateUploadTx: (id: string, patch: UploadPatch) => UploadRow;
  readonly #replacePartsTx: (uploadId: string, parts: readonly PartPlan[]) => void;
  readonly #createUploadsTx: (items: ReadonlyArray<{ row: UploadRow; parts: readonly PartPlan[] }>) => void;
  /** States waiting for the next batch of writes, by upload id; reads see them at once. */
  readonly #unwritten = new Map<string, { state: TransferState; updatedAt: number }>();
  readonly #queue: WriteQueue;

  private constructor(db: Database.Database, journalPath: string, now: () => number) {
    this.path = journalPath;
    this.#db = db;
    this.#now = now;
    const sql = prepareStatements(db);
    this.#sql = sql;
    this.#queue = new WriteQueue(db, (keys) => {
      // A lazy state not due yet stays queued after a batch, and reads keep seeing it until it lands.
      for (const key of keys) if (key.startsWith(UPLOAD_KEY_PREFIX)) this.#unwritten.delete(key.slice(UPLOAD_KEY_PREFIX.length));
    });
    this.changes = new ChangeStore(db, now, this.#queue);
    this.syncIndex = new SyncIndexStore(db, now);
    const insertParts = (uploadId: string, parts: readonly PartPlan[]): void => {
      for (const part of parts) sql.insertPart.run(uploadId, part.partNo, part.offsetBytes, part.lengthBytes);
    };
    // IMMEDIATE takes the write lock up front, so a busy journal makes us wait (busy_timeout)
    // instead of failing when a read transaction tries to become a write.
    const create = db.transaction((row: UploadRow, parts: readonly PartPlan[]) => {
      sql.insertUpload.run(...uploadValues(row));
      insertParts(row.id, parts);
    });
    this.#createUploadTx = (row, parts) => create.immediate(row, parts);
    const createMany = db.transaction((items: ReadonlyArray<{ row: UploadRow; parts: readonly PartPlan[] }>) => {
      for (const { row, parts } of items) {
        sql.insertNewUpload.run(...newUploadValues(row));
        if (parts.length > 0) insertParts(row.id, parts);
      }
    });
    this.#createUploadsTx = (items) => createMany.immediate(items);
    const update = db.transaction((id: string, patch: UploadPatch): UploadRow => {
      const current = this.#requireUpload(id);
      const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      const next = this.#checkedRow({ ...current, ...changes, id, createdAt: current.createdAt, updatedAt: this.#nowMs() });
      sql.updateUpload.run(uploadParams(next));
      this.#forgetQueued(id); // the row written includes any queued state: that write must not follow
      return next;
    });
    this.#updateUploadTx = (id, patch) => update.immediate(id, patch);
    const replace = db.transaction((uploadId: string, parts: readonly PartPlan[]) => {
      this.#requireUpload(uploadId);
      sql.deleteParts.run(uploadId);
      insertParts(uploadId, parts);
    });
    this.#replacePartsTx = (uploadId, parts) => replace.immediate(uploadId, parts);
  }

  /**
   * Opens (or creates) the journal file. A file that is not a Tierdrop journal, or is damaged, is
   * moved aside and a new journal started; `report` says so. Throws TierdropError when the place
   * cannot be written, or when the journal comes from a newer Tierdrop (that file is left alone).
   */
  static open(journalPath: string, options: JournalOptions = {}): { journal: Journal; report: OpenReport } {
    const absolute = path.resolve(journalPath);
    const now = options.now ?? Date.now;
    const { db, report } = openJournalFile(absolute, now);
    return { journal: Journal.#wrap(db, absolute, now), report };
  }

  /** A journal that lives only as long as this object: for tests. */
  static openInMemory(options: JournalOptions = {}): Journal {
    const db = openConnection(IN_MEMORY);
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return Journal.#wrap(db, IN_MEMORY, options.now ?? Date.now);
  }

  static #wrap(db: Database.Database, journalPath: string, now: () => number): Journal {
    try {
      return new Journal(db, journalPath, now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Uploads

  /** Records a new upload and its planned parts (all pending) in one transaction. */
  createUpload(upload: NewUpload, parts: PartPlan[]): UploadRow {
    const row = this.#newRow(upload, this.#nowMs());
    try {
      this.#createUploadTx(row, parts);
    } catch (error) {
      throw this.#writeError(`record upload ${row.id}`, error);
    }
    return row;
  }

  /**
   * Records many uploads and their planned parts in one transaction (a dropped folder of 10,000
   * files is one commit, not 10,000): all of them land, or none.
   */
  createUploads(items: ReadonlyArray<{ upload: NewUpload; parts: readonly PartPlan[] }>): UploadRow[] {
    const nowMs = this.#nowMs();
    // Not parsed again: the rows are built from typed parts, and the table's CHECKs refuse what the
    // types cannot rule out (a negative size, an unknown state). At 10,000 files a drop, parsing
    // each row cost more than inserting it.
    const rows = items.map(({ upload, parts }) => ({ row: newUploadRow(upload, nowMs), parts }));
    try {
      this.#createUploadsTx(rows);
    } catch (error) {
      throw this.#writeError(`record ${rows.length} uploads`, error);
    }
    return rows.map(({ row }) => row);
  }

  getUpload(id: string): UploadRow | null {
    const raw = this.#sql.getUpload.get(id);
    if (raw === undefined) return null;
    const row = uploadFromRow(raw);
    const unwritten = this.#unwritten.get(id);
    return unwritten === undefined ? row : { ...row, ...unwritten };
  }

  /** Uploads in the order they were created. */
  listUploads(filter: UploadFilter = {}): UploadRow[] {
    this.#flushQueued();
    const params: ListParams = {
      states: filter.states === undefined ? null : JSON.stringify(filter.states),
      destination: filter.destination ?? null,
    };
    return this.#sql.listUploads.all(params).map(uploadFromRow);
  }

  /** Changes the given fields and bumps updatedAt; throws TierdropError('internal') for an unknown id. */
  updateUpload(id: string, patch: UploadPatch): UploadRow {
    try {
      return this.#updateUploadTx(id, patch);
    } catch (error) {
      throw this.#writeError(`update upload ${id}`, error);
    }
  }

  /**
   * Sets `row`'s state with the next batch of writes (every write queued within a few
   * milliseconds shares one commit); resolves once it is in the file. Reads see it at once. Only
   * the state and updatedAt are written, so a `row` older than the journal's loses nothing.
   */
  async setStateBatched(row: UploadRow, state: TransferState): Promise<UploadRow> {
    const next = this.#queueState(row, state, 'batched');
    try {
      await this.#queue.written();
    } catch (error) {
      throw this.#writeError(`update upload ${row.id}`, error);
    }
    return next;
  }

  /**
   * For progress a crash may forget (an active state, which recovery turns back into queued
   * anyway): seen by every read at once, written with the next batch or within a moment.
   */
  setStateLazily(row: UploadRow, state: TransferState): UploadRow {
    return this.#queueState(row, state, 'lazy');
  }

  /** Writes everything queued now (closing does too). */
  flush(): void {
    try {
      this.#flushQueued();
    } catch (error) {
      throw this.#writeError('write queued changes', error);
    }
  }

  /** Forgets the upload and all its parts. Deleting an upload that is not there does nothing. */
  deleteUpload(id: string): void {
    try {
      this.#sql.deleteUpload.run(id);
      this.#forgetQueued(id);
    } catch (error) {
      throw this.#writeError(`delete upload ${id}`, error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Parts

  /** Swaps the upload's part plan for a new one, every part pending (e.g. after the source changed). */
  replaceParts(uploadId: string, parts: PartPlan[]): void {
    try {
      this.#replacePartsTx(uploadId, parts);
    } catch (error) {
      throw this.#writeError(`replace the parts of upload ${uploadId}`, error);
    }
  }

  /** The upload's parts by part number. */
  listParts(uploadId: string): PartRow[] {
    return this.#sql.listParts.all(uploadId).map(partFromRow);
  }

  /** Stores the store's receipt for a part: from now on it is never sent again. */
  markPartSent(uploadId: string, partNo: number, etag: string, checksum: string | null): void {
    let changed: number;
    try {
      changed = this.#sql.markPartSent.run(etag, checksum, uploadId, partNo).changes;
    } catch (error) {
      throw this.#writeError(`mark part ${partNo} of upload ${uploadId} sent`, error);
    }
    if (changed !== 1) {
      throw new TierdropError('internal', `Part ${partNo} of upload ${uploadId} is not in the journal, so it cannot be marked sent.`);
    }
  }

  /** Every part back to pending with no receipt (e.g. after the store lost the multipart upload). */
  resetParts(uploadId: string): void {
    try {
      this.#sql.resetParts.run(uploadId);
    } catch (error) {
      throw this.#writeError(`reset the parts of upload ${uploadId}`, error);
    }
  }

  /** How much of the upload the store has acknowledged. An unknown upload has no parts. */
  partProgress(uploadId: string): PartProgress {
    return progressFromRow(this.#sql.partProgress.get(uploadId));
  }

  /** partProgress for every upload that has parts, in one query: for listing many transfers. */
  partProgressByUpload(): Map<string, PartProgress> {
    const rows = ProgressByUpload.parse(this.#sql.partProgressByUpload.all());
    return new Map(rows.map((row) => [row.uploadId, progressFromRow(row)]));
  }

  // -------------------------------------------------------------------------------------------
  // The database itself

  /**
   * Runs `fn` in one write transaction: all of its journal writes land, or none. Nested calls
   * become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    if (!this.#db.inTransaction) this.#flushQueued();
    return this.#db.transaction(fn).immediate();
  }

  /** [] when the file and its foreign keys are sound, else one line per problem. */
  integrityCheck(): string[] {
    const lines = IntegrityLines.parse(this.#db.pragma('integrity_check'))
      .map((row) => row.integrity_check)
      .filter((line) => line !== 'ok');
    const orphans = ForeignKeyProblems.parse(this.#db.pragma('foreign_key_check')).map(
      (row) => `${row.table} row ${row.rowid ?? '(without rowid)'} refers to a missing row in ${row.parent}`,
    );
    return [...lines, ...orphans];
  }

  /** The number of the last migration applied. */
  schemaVersion(): number {
    return readUserVersion(this.#db);
  }

  /** Closes the file; calling it again does nothing. The journal cannot be used afterwards. */
  close(): void {
    if (!this.#db.open) return;
    try {
      this.#queue.flush();
    } finally {
      this.#queue.dispose();
      this.#db.close();
    }
  }

  // -------------------------------------------------------------------------------------------

  #nowMs(): number {
    return Math.floor(this.#now());
  }

  #newRow(upload: NewUpload, nowMs: number): UploadRow {
    return this.#checkedRow(newUploadRow(upload, nowMs));
  }

  #queueState(row: UploadRow, state: TransferState, urgency: WriteUrgency): UploadRow {
    const change = { state, updatedAt: this.#nowMs() };
    this.#unwritten.set(row.id, change);
    const { id } = row;
    this.#queue.add(UPLOAD_KEY_PREFIX + id, () => this.#sql.setState.run(change.state, change.updatedAt, id), urgency);
    return { ...row, ...change };
  }

  #forgetQueued(id: string): void {
    if (!this.#unwritten.delete(id)) return;
    this.#queue.drop(UPLOAD_KEY_PREFIX + id);
  }

  /**
   * Before a query that filters in SQL (listing by state) or a transaction of the caller's: they
   * see the queued states only once those are in the file. Single durable writes do not wait: a
   * queued write only ever sets a state, and a full-row write drops the queued one it includes.
   */
  #flushQueued(): void {
    if (this.#queue.size > 0 && !this.#db.inTransaction) this.#queue.flush();
  }

  #requireUpload(id: string): UploadRow {
    const row = this.getUpload(id);
    if (row === null) throw new TierdropError('internal', `Upload ${id} is not in the journal.`);
    return row;
  }

  /** Rows are checked before they are written too: a bad row is a bug, caught where it starts. */
  #checkedRow(candidate: unknown): UploadRow {
    const parsed = UploadRow.safeParse(candidate);
    if (!parsed.success) {
      throw new TierdropError('internal', `Refusing to write an invalid upload row: ${z.prettifyError(parsed.error)}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  #writeError(action: string, error: unknown): TierdropError {
    if (error instanceof TierdropError) return error;
    const code = errorCodeOf(error) ?? '';
    if (code.startsWith('SQLITE_CONSTRAINT')) {
      const detail = error instanceof Error ? error.message : code;
      return new TierdropError('internal', `Could not ${action}: the journal refused it (${detail}).`, { cause: error });
    }
    return locationError(this.path, error);
  }
}
