// Migration 2: the tiered-storage changelog, `changes` (one row per multi-step store change that
// may leave a revision behind), and `secrets` (the key that authenticates upload tokens).
import type Database from 'better-sqlite3';
import type { Migration } from './migration.js';

// Spelled out, not imported from core/tiered: a migration is a fixed point in history.
const CHANGE_PHASES = ['recorded', 'assembling', 'written', 'updated', 'lost', 'recovered', 'completed'];

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

export const changesAndKeys: Migration = {
  version: 2,
  name: 'changes-and-keys',
  up(db: Database.Database): void {
    db.exec(`
      CREATE TABLE changes (
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
      ) STRICT;

      CREATE INDEX changes_by_destination ON changes (destination, key);

      CREATE TABLE secrets (
        name       TEXT    NOT NULL PRIMARY KEY,
        value      BLOB    NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
