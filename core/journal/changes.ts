// The tiered changelog's rows: each multi-step store change (a revision added, one replaced) is
// written here before the step that could leave something behind, and removed once cleaned up.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { TierdropError } from '../errors/index.js';
import type { WriteQueue } from './write-queue.js';

/** objectstore's ChangeGuard phases, in the order a change normally passes them. */
export const ChangePhase = z.enum(['recorded', 'assembling', 'written', 'updated', 'lost', 'recovered', 'completed']);
export type ChangePhase = z.infer<typeof ChangePhase>;

export const ChangeRow = z.object({
  id: z.string(),
  destination: z.string(),
  key: z.string(),
  /** The revision this change replaces; deleted once the change committed. */
  oldRevision: z.string().nullable(),
  /** The revision this change writes; deleted unless the change committed. */
  newRevision: z.string().nullable(),
  /** The long-term tier's multipart upload id of `newRevision`, when it is assembled from parts. */
  ltUploadId: z.string().nullable(),
  phase: ChangePhase,
  attempts: z.number().int().min(0),
  nextAttemptAt: z.number().int(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type ChangeRow = z.infer<typeof ChangeRow>;

export type NewChange = Pick<ChangeRow, 'id' | 'destination' | 'key' | 'oldRevision' | 'newRevision' | 'ltUploadId' | 'phase'>;
export type ChangePatch = Partial<Pick<ChangeRow, 'oldRevision' | 'ltUploadId' | 'phase' | 'attempts' | 'nextAttemptAt'>>;

const CHANGE_COLUMNS = `
  id, destination, key, old_revision AS oldRevision, new_revision AS newRevision, lt_upload_id AS ltUploadId,
  phase, attempts, next_attempt_at AS nextAttemptAt, created_at AS createdAt, updated_at AS updatedAt`;

const UPLOAD_TOKEN_KEY = 'upload-token-hmac';
const UPLOAD_TOKEN_KEY_BYTES = 32; // HMAC-SHA256's block-size-independent recommended key length

const SecretRow = z.object({ value: z.instanceof(Buffer) });
const LiveCount = z.object({ live: z.number().int() });

export class ChangeStore {
  readonly #sql;
  readonly #now: () => number;
  readonly #queue: WriteQueue;
  readonly #db: Database.Database;

  /** `queue` is the journal's: removals ride along with its next batch. */
  constructor(db: Database.Database, now: () => number, queue: WriteQueue) {
    this.#now = now;
    this.#queue = queue;
    this.#db = db;
    this.#sql = {
      // Positional, not named: one insert per file written as a revision, and binding by name costs a
      // property lookup per column.
      insert: db.prepare<ChangeValues>(`
        INSERT INTO changes (id, destination, key, old_revision, new_revision, lt_upload_id, phase, attempts,
                             next_attempt_at, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      update: db.prepare<ChangeUpdateValues>(`
        UPDATE changes SET old_revision = ?, lt_upload_id = ?, phase = ?, attempts = ?, next_attempt_at = ?, updated_at = ?
        WHERE id = ?`),
      get: db.prepare<[string]>(`SELECT ${CHANGE_COLUMNS} FROM changes WHERE id = ?`),
      byRevision: db.prepare<[string, string, string]>(
        `SELECT ${CHANGE_COLUMNS} FROM changes WHERE destination = ? AND key = ? AND new_revision = ? ORDER BY created_at LIMIT 1`,
      ),
      list: db.prepare<[string | null, string | null]>(
        `SELECT ${CHANGE_COLUMNS} FROM changes WHERE (? IS NULL OR destination = ?) ORDER BY created_at, id`,
      ),
      destinations: db.prepare<[]>('SELECT DISTINCT destination FROM changes ORDER BY destination'),
      remove: db.prepare<[string]>('DELETE FROM changes WHERE id = ?'),
      getSecret: db.prepare<[string]>('SELECT value FROM secrets WHERE name = ?'),
      insertSecret: db.prepare<[string, Buffer, number]>(
        'INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      liveToken: db.prepare<[string]>(
        "SELECT COUNT(*) AS live FROM uploads WHERE backend_upload_id = ? AND state NOT IN ('done', 'cancelled')",
      ),
    };
  }

  /**
   * Writes a new change; it is durable when this returns (the caller acts right after). The row is
   * built from typed parts and not parsed again: this is one commit per file written as a revision,
   * and the table's CHECKs still refuse an unknown phase or a change naming no revision.
   */
  record(change: NewChange): ChangeRow {
    const nowMs = Math.floor(this.#now());
    const row: ChangeRow = {
      id: change.id,
      destination: change.destination,
      key: change.key,
      oldRevision: change.oldRevision,
      newRevision: change.newRevision,
      ltUploadId: change.ltUploadId,
      phase: change.phase,
      attempts: 0,
      nextAttemptAt: 0,
      createdAt: nowMs,
      updatedAt: nowMs,
    };
    this.#sql.insert.run(...changeValues(row));
    return row;
  }

  /**
   * Applies `patch` to `current` (the row as the caller last wrote it) in one statement: the
   * changelog writes several times per object, so it does not read a row back before each write.
   */
  update(current: ChangeRow, patch: ChangePatch): ChangeRow {
    this.#flushQueued(); // a lazy write of this change still queued must not land after this one
    const next = this.#patched(current, patch);
    if (this.#runUpdate(next) !== 1) throw new TierdropError('internal', `Change ${current.id} is not in the journal.`);
    return next;
  }

  /**
   * Like update, with the journal's next batch: for a phase recovery does not need (it reads the
   * tombstone back whatever the row says), so a crash that loses the write changes nothing.
   * A later write of the same change (its removal) replaces this one if it is still queued.
   */
  updateLazily(current: ChangeRow, patch: ChangePatch): ChangeRow {
    const next = this.#patched(current, patch);
    // A row removed meanwhile is not an error here: throwing would fail everyone's batch.
    this.#queue.add(`change:${current.id}`, () => this.#runUpdate(next), 'batched');
    return next;
  }

  get(id: string): ChangeRow | null {
    this.#flushQueued();
    const raw = this.#sql.get.get(id);
    return raw === undefined ? null : fromRow(raw);
  }

  /** The change that writes `revision` of `key`, if it is still outstanding. */
  forRevision(destination: string, key: string, revision: string): ChangeRow | null {
    this.#flushQueued();
    const raw = this.#sql.byRevision.get(destination, key, revision);
    return raw === undefined ? null : fromRow(raw);
  }

  /** Outstanding changes, oldest first; all destinations when `destination` is omitted. */
  list(destination?: string): ChangeRow[] {
    this.#flushQueued();
    return this.#sql.list.all(destination ?? null, destination ?? null).map(fromRow);
  }

  /** Destinations with outstanding changes: the stores recovery has to visit. */
  destinations(): string[] {
    this.#flushQueued();
    return z.array(z.object({ destination: z.string() })).parse(this.#sql.destinations.all()).map((row) => row.destination);
  }

  /**
   * Removing a change that is not there does nothing (cleanup may run twice). The row goes with the
   * journal's next batch: its cleanup is done, so a crash that keeps it only makes recovery look
   * at the store again and find nothing to delete.
   */
  remove(id: string): void {
    const remove = this.#sql.remove;
    this.#queue.add(`change:${id}`, () => remove.run(id), 'batched');
  }

  #patched(current: ChangeRow, patch: ChangePatch): ChangeRow {
    // Typed fields only: undefined means "unchanged", as the patch type says.
    return {
      ...current,
      oldRevision: patch.oldRevision === undefined ? current.oldRevision : patch.oldRevision,
      ltUploadId: patch.ltUploadId === undefined ? current.ltUploadId : patch.ltUploadId,
      phase: patch.phase ?? current.phase,
      attempts: patch.attempts ?? current.attempts,
      nextAttemptAt: patch.nextAttemptAt ?? current.nextAttemptAt,
      updatedAt: Math.floor(this.#now()),
    };
  }

  #runUpdate(row: ChangeRow): number {
    return this.#sql.update.run(row.oldRevision, row.ltUploadId, row.phase, row.attempts, row.nextAttemptAt, row.updatedAt, row.id).changes;
  }

  /** Queued removals go before reads, so no read finds a change whose cleanup is done. */
  #flushQueued(): void {
    if (this.#queue.size > 0 && !this.#db.inTransaction) this.#queue.flush();
  }

  /** The key upload tokens are signed with, created on first use and kept for the journal's life. */
  uploadTokenKey(): Buffer {
    const existing = this.#sql.getSecret.get(UPLOAD_TOKEN_KEY);
    if (existing !== undefined) return SecretRow.parse(existing).value;
    this.#sql.insertSecret.run(UPLOAD_TOKEN_KEY, randomBytes(UPLOAD_TOKEN_KEY_BYTES), Math.floor(this.#now()));
    return SecretRow.parse(this.#sql.getSecret.get(UPLOAD_TOKEN_KEY)).value;
  }

  /** Whether an upload that may still run (not done, not cancelled) holds this token. */
  isTokenHeld(token: string): boolean {
    this.#flushQueued();
    return LiveCount.parse(this.#sql.liveToken.get(token)).live > 0;
  }
}

type ChangeUpdateValues = [
  oldRevision: string | null,
  ltUploadId: string | null,
  phase: ChangePhase,
  attempts: number,
  nextAttemptAt: number,
  updatedAt: number,
  id: string,
];

/** A row as the insert's positional parameters, in its column order. */
type ChangeValues = [
  id: string,
  destination: string,
  key: string,
  oldRevision: string | null,
  newRevision: string | null,
  ltUploadId: string | null,
  phase: ChangePhase,
  attempts: number,
  nextAttemptAt: number,
  createdAt: number,
  updatedAt: number,
];

function changeValues(row: ChangeRow): ChangeValues {
  return [
    row.id,
    row.destination,
    row.key,
    row.oldRevision,
    row.newRevision,
    row.ltUploadId,
    row.phase,
    row.attempts,
    row.nextAttemptAt,
    row.createdAt,
    row.updatedAt,
  ];
}

function fromRow(raw: unknown): ChangeRow {
  const parsed = ChangeRow.safeParse(raw);
  if (!parsed.success) {
    throw new TierdropError('internal', `The journal holds a change Tierdrop cannot read: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}
