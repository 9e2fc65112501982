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
import { PART_COLUMNS, UPLOAD_COLUMNS, partFromRow, progressFromRow, uploadFromRow, uploadParams, type UploadParams } from './rows.js';
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
    insertUpload: db.prepare<[UploadParams]>(`
      INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                           revision, backend_upload_id, error_code, error_message, error_retryable, created_at, updated_at)
      VALUES (@id, @destination, @sourcePath, @key, @sizeBytes, @mtimeMs, @inode, @partSizeBytes, @state,
              @revision, @backendUploadId, @errorCode, @errorMessage, @errorRetryable, @createdAt, @updatedAt)`),
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

  private constructor(db: Database.Database, journalPath: string, now: () => number) {
    this.path = journalPath;
    this.#db = db;
    this.#now = now;
    const sql = prepareStatements(db);
    this.#sql = sql;
    this.changes = new ChangeStore(db, now);
    this.syncIndex = new SyncIndexStore(db, now);
    const insertParts = (uploadId: string, parts: readonly PartPlan[]): void => {
      for (const part of parts) sql.insertPart.run(uploadId, part.partNo, part.offsetBytes, part.lengthBytes);
    };
    // IMMEDIATE takes the write lock up front, so a busy journal makes us wait (busy_timeout)
    // instead of failing when a read transaction tries to become a write.
    const create = db.transaction((row: UploadRow, parts: readonly PartPlan[]) => {
      sql.insertUpload.run(uploadParams(row));
      insertParts(row.id, parts);
    });
    this.#createUploadTx = (row, parts) => create.immediate(row, parts);
    const update = db.transaction((id: string, patch: UploadPatch): UploadRow => {
      const current = this.#requireUpload(id);
      const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      const next = this.#checkedRow({ ...current, ...changes, id, createdAt: current.createdAt, updatedAt: this.#nowMs() });
      sql.updateUpload.run(uploadParams(next));
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
    const nowMs = this.#nowMs();
    const row = this.#checkedRow({
      ...upload,
      state: upload.state ?? 'queued',
      revision: null,
      backendUploadId: null,
      errorCode: null,
      errorMessage: null,
      errorRetryable: false,
      createdAt: nowMs,
      updatedAt: nowMs,
    });
    try {
      this.#createUploadTx(row, parts);
    } catch (error) {
      throw this.#writeError(`record upload ${row.id}`, error);
    }
    return row;
  }

  getUpload(id: string): UploadRow | null {
    const raw = this.#sql.getUpload.get(id);
    return raw === undefined ? null : uploadFromRow(raw);
  }

  /** Uploads in the order they were created. */
  listUploads(filter: UploadFilter = {}): UploadRow[] {
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

  /** Forgets the upload and all its parts. Deleting an upload that is not there does nothing. */
  deleteUpload(id: string): void {
    try {
      this.#sql.deleteUpload.run(id);
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
    if (this.#db.open) this.#db.close();
  }

  // -------------------------------------------------------------------------------------------

  #nowMs(): number {
    return Math.floor(this.#now());
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
