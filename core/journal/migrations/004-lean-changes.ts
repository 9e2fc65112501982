// Migration 4: `changes` rebuilt as a WITHOUT ROWID table keyed by its id alone, without the
// (destination, key) index, so that recording a change (one commit before each side effect) writes one page.
import type Database from 'better-sqlite3';
import type { Migration } from './migration.js';

// Spelled out, not imported from core/tiered: a migration is a fixed point in history.
const CHANGE_PHASES = ['recorded', 'assembling', 'written', 'updated', 'lost', 'recovered', 'completed'];

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

export const leanChanges: Migration = {
  version: 4,
  name: 'lean-changes',
  up(db: Database.Database): void {
    // Every change is written durably before the step it guards, so each record is its own commit,
    // and a commit costs about one WAL frame per b-tree page it touches. Version 2 touched three
    // (the rowid table, the TEXT primary key's index, changes_by_destination); keyed by its id
    // WITHOUT ROWID it touches one. The table only holds changes not cleaned up yet (a few per file
    // in flight, plus any a failed cleanup left), so the lookups by destination and key (recovery,
    // sweeping, a multipart complete or cancel) scan a small table instead of paying for an index
    // on every write. Ids are uuidv7, so new rows append to the rightmost leaf.
    db.exec(`
      CREATE TABLE changes_v4 (
        id              TEXT    NOT NULL PRIMARY KEY,
        destination     TEXT    NOT NULL,
        key             TEXT    NOT NULL,
        old_revision    TEXT,
        new_revision    TEXT,
        lt_upload_id    TEXT,
        phase           TEXT    NOT NULL CHECK (phase IN (${quoted(CHANGE_PHASES)})),
        attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        -- a change that neither adds nor replaces a revision leaves nothing behind to record
        CHECK (old_revision IS NOT NULL OR new_revision IS NOT NULL)
      ) STRICT, WITHOUT ROWID;

      INSERT INTO changes_v4 (id, destination, key, old_revision, new_revision, lt_upload_id, phase, attempts,
                              next_attempt_at, created_at, updated_at)
        SELECT id, destination, key, old_revision, new_revision, lt_upload_id, phase, attempts,
               next_attempt_at, created_at, updated_at
        FROM changes;

      DROP TABLE changes;
      ALTER TABLE changes_v4 RENAME TO changes;
    `);
  },
};
