// Migration 3: watched folders. `sync_roots` (one row per local folder kept synced to a destination)
// and `sync_index` (per path of a root: what was last uploaded, or what waits to be).
import type Database from 'better-sqlite3';
import type { Migration } from './migration.js';

// Spelled out, not imported from core/sync: a migration is a fixed point in history.
const DELETION_POLICIES = ['keep', 'mirror'];
const ENTRY_STATUSES = ['synced', 'pending', 'failed'];

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

export const syncIndex: Migration = {
  version: 3,
  name: 'sync-index',
  up(db: Database.Database): void {
    // sync_index is WITHOUT ROWID on (root_id, key): a rescan looks every file up by that pair, so
    // the table itself is the lookup tree and no second index is paid for on each write.
    db.exec(`
      CREATE TABLE sync_roots (
        id              TEXT    NOT NULL PRIMARY KEY,
        folder          TEXT    NOT NULL,
        destination     TEXT    NOT NULL,
        deletions       TEXT    NOT NULL CHECK (deletions IN (${quoted(DELETION_POLICIES)})),
        follow_symlinks INTEGER NOT NULL DEFAULT 0 CHECK (follow_symlinks IN (0, 1)),
        paused          INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        listed_at       INTEGER,
        last_synced_at  INTEGER,
        scan_no         INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        UNIQUE (folder, destination)
      ) STRICT;

      CREATE TABLE sync_index (
        root_id       TEXT    NOT NULL REFERENCES sync_roots (id) ON DELETE CASCADE,
        key           TEXT    NOT NULL,
        local_path    TEXT    NOT NULL,
        fold_key      TEXT    NOT NULL,
        size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
        mtime_ms      REAL    NOT NULL,
        inode         TEXT    NOT NULL,
        content_hash  TEXT,
        remote_etag   TEXT,
        upload_id     TEXT,
        status        TEXT    NOT NULL CHECK (status IN (${quoted(ENTRY_STATUSES)})),
        error_code    TEXT,
        error_message TEXT,
        scan_no       INTEGER NOT NULL DEFAULT 0,
        updated_at    INTEGER NOT NULL,
        PRIMARY KEY (root_id, key),
        -- a synced entry always knows what it uploaded
        CHECK (status <> 'synced' OR content_hash IS NOT NULL)
      ) STRICT, WITHOUT ROWID;

      CREATE INDEX sync_index_by_status ON sync_index (root_id, status, upload_id);
      CREATE INDEX sync_index_by_fold ON sync_index (root_id, fold_key);
    `);
  },
};
