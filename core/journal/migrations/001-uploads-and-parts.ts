// Migration 1: the tables behind resumable uploads, `uploads` (one row per file transfer) and
// `parts` (one row per planned part, with the store's receipt once sent).
import type Database from 'better-sqlite3';
import type { Migration } from './migration.js';

// Spelled out rather than taken from the contract: a migration is a fixed point in history, and
// must create the same table whatever the contract says later. A test checks the two still agree.
const UPLOAD_STATES = ['queued', 'preparing', 'uploading', 'paused', 'completing', 'committing', 'done', 'failed', 'cancelled'];

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

export const uploadsAndParts: Migration = {
  version: 1,
  name: 'uploads-and-parts',
  up(db: Database.Database): void {
    // `uploads` keeps its rowid: it breaks ties in creation order. (VACUUM may renumber rowids of
    // a table without an INTEGER PRIMARY KEY; the journal never runs VACUUM.)
    db.exec(`
      CREATE TABLE uploads (
        id                TEXT    NOT NULL PRIMARY KEY,
        destination       TEXT    NOT NULL,
        source_path       TEXT    NOT NULL,
        key               TEXT    NOT NULL,
        size_bytes        INTEGER NOT NULL CHECK (size_bytes >= 0),
        mtime_ms          REAL    NOT NULL,
        inode             TEXT    NOT NULL,
        part_size_bytes   INTEGER NOT NULL CHECK (part_size_bytes >= 0),
        state             TEXT    NOT NULL CHECK (state IN (${quoted(UPLOAD_STATES)})),
        revision          TEXT,
        backend_upload_id TEXT,
        error_code        TEXT,
        error_message     TEXT,
        error_retryable   INTEGER NOT NULL DEFAULT 0 CHECK (error_retryable IN (0, 1)),
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL
      ) STRICT;

      CREATE INDEX uploads_by_state ON uploads (state, created_at);
      CREATE INDEX uploads_by_created ON uploads (created_at);

      CREATE TABLE parts (
        upload_id    TEXT    NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
        part_no      INTEGER NOT NULL CHECK (part_no >= 1),
        offset_bytes INTEGER NOT NULL CHECK (offset_bytes >= 0),
        length_bytes INTEGER NOT NULL CHECK (length_bytes >= 0),
        etag         TEXT,
        checksum     TEXT,
        state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),
        PRIMARY KEY (upload_id, part_no),
        -- a part counts as sent only with the receipt that completing the upload needs
        CHECK (state = 'pending' OR etag IS NOT NULL)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
