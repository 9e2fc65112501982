// Each journal migration, started from the schema before it: the schema it leaves behind, and that
// the rows already there come through. A new migration adds a describe block here using the same
// helpers (openDatabaseAt(N - 1) → insert rows → migrateTo(db, N) → assert).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransferState } from '../../core/contract/index.js';
import { isTierdropError } from '../../core/errors/index.js';
import { Journal } from '../../core/journal/index.js';
import { runMigrations, type Migration } from '../../core/journal/migrations/index.js';
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  describeSchema,
  migrateTo,
  openDatabaseAt,
  readUserVersion,
} from '../../core/journal/testing.js';

let tempDir: string;
const open: Database.Database[] = [];

/** openDatabaseAt, closed after the test. */
function databaseAt(version: number, file?: string): Database.Database {
  const db = openDatabaseAt(version, file);
  open.push(db);
  return db;
}

beforeEach(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tierdrop-migrations-'));
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

describe('the migration list', () => {
  it('is numbered 1, 2, 3… with kebab-case names, ending at the latest version', () => {
    MIGRATIONS.forEach((migration, index) => {
      expect(migration.version).toBe(index + 1);
      expect(migration.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    });
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('matches the migration files on disk', () => {
    const folder = path.join(import.meta.dirname, '../../core/journal/migrations');
    const files = fs.readdirSync(folder).filter((name) => /^\d{3}-.*\.ts$/.test(name)).sort();
    expect(files).toEqual(MIGRATIONS.map((m) => `${String(m.version).padStart(3, '0')}-${m.name}.ts`));
  });

  it('rolls a failing migration back entirely and keeps the version before it', () => {
    const createsThenFails: Migration = {
      version: 2,
      name: 'fails-half-way',
      up(db) {
        db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
        throw new Error('migration bug');
      },
    };
    const db = databaseAt(0);
    expect(() => runMigrations(db, [...MIGRATIONS.slice(0, 1), createsThenFails], 2)).toThrow('migration bug');
    expect(readUserVersion(db)).toBe(1);
    expect(describeSchema(db).tables.map((table) => table.name)).not.toContain('half_done');
  });

  it('refuses a list with a gap, before touching the database', () => {
    const db = databaseAt(0);
    const skipped: Migration = { version: 3, name: 'skipped-two', up: () => undefined };
    let thrown: unknown;
    try {
      runMigrations(db, [...MIGRATIONS.slice(0, 1), skipped], 3);
    } catch (error) {
      thrown = error;
    }
    expect(isTierdropError(thrown, 'internal')).toBe(true);
    expect(readUserVersion(db)).toBe(0);
  });

  it('does nothing when the database is already there', () => {
    const db = databaseAt(LATEST_SCHEMA_VERSION);
    const before = describeSchema(db);
    expect(migrateTo(db)).toEqual([]);
    expect(describeSchema(db)).toEqual(before);
  });
});

describe('001 uploads-and-parts', () => {
  it('turns an empty file into the uploads and parts tables', () => {
    const file = path.join(tempDir, 'journal.sqlite');
    fs.writeFileSync(file, '');
    const db = databaseAt(0, file);
    expect(describeSchema(db)).toEqual({ tables: [], indexes: [] });

    expect(migrateTo(db, 1)).toEqual([1]);

    expect(readUserVersion(db)).toBe(1);
    const schema = describeSchema(db);
    const column = (name: string, type: string, notNull: boolean, primaryKeyPosition = 0, defaultValue: string | null = null) => ({
      name,
      type,
      notNull,
      defaultValue,
      primaryKeyPosition,
    });
    expect(schema.tables).toEqual([
      {
        name: 'parts',
        strict: true,
        withoutRowid: true,
        columns: [
          column('upload_id', 'TEXT', true, 1),
          column('part_no', 'INTEGER', true, 2),
          column('offset_bytes', 'INTEGER', true),
          column('length_bytes', 'INTEGER', true),
          column('etag', 'TEXT', false),
          column('checksum', 'TEXT', false),
          column('state', 'TEXT', true, 0, "'pending'"),
        ],
        foreignKeys: [{ from: 'upload_id', table: 'uploads', to: 'id', onDelete: 'CASCADE' }],
      },
      {
        name: 'uploads',
        strict: true,
        withoutRowid: false,
        columns: [
          column('id', 'TEXT', true, 1),
          column('destination', 'TEXT', true),
          column('source_path', 'TEXT', true),
          column('key', 'TEXT', true),
          column('size_bytes', 'INTEGER', true),
          column('mtime_ms', 'REAL', true),
          column('inode', 'TEXT', true),
          column('part_size_bytes', 'INTEGER', true),
          column('state', 'TEXT', true),
          column('revision', 'TEXT', false),
          column('backend_upload_id', 'TEXT', false),
          column('error_code', 'TEXT', false),
          column('error_message', 'TEXT', false),
          column('error_retryable', 'INTEGER', true, 0, '0'),
          column('created_at', 'INTEGER', true),
          column('updated_at', 'INTEGER', true),
        ],
        foreignKeys: [],
      },
    ]);
    expect(schema.indexes).toEqual([
      { name: 'uploads_by_created', table: 'uploads', columns: ['created_at'] },
      { name: 'uploads_by_state', table: 'uploads', columns: ['state', 'created_at'] },
    ]);
  });

  it('accepts exactly the transfer states of the contract, and only pending or sent parts', () => {
    const db = databaseAt(1);
    const insertUpload = db.prepare(
      `INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state, created_at, updated_at)
       VALUES (?, 'file:///d', '/s', 'k', 1, 1, '1', 0, ?, 1, 1)`,
    );
    for (const state of TransferState.options) insertUpload.run(`id-${state}`, state);
    expect(() => insertUpload.run('bad', 'sleeping')).toThrow(/CHECK/);

    const insertPart = db.prepare("INSERT INTO parts (upload_id, part_no, offset_bytes, length_bytes, etag, state) VALUES ('id-queued', ?, 0, 1, ?, ?)");
    insertPart.run(1, null, 'pending');
    insertPart.run(2, 'etag', 'sent');
    expect(() => insertPart.run(3, 'etag', 'lost')).toThrow(/CHECK/);
    expect(() => insertPart.run(4, null, 'sent')).toThrow(/CHECK/); // sent needs its receipt
    expect(() => insertPart.run(0, null, 'pending')).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO parts (upload_id, part_no, offset_bytes, length_bytes) VALUES ('ghost', 1, 0, 1)").run()).toThrow(
      /FOREIGN KEY/,
    );
  });

  it('keeps rows written at version 1 readable through the journal', () => {
    const file = path.join(tempDir, 'journal.sqlite');
    const db = databaseAt(0, file);
    migrateTo(db, 1);
    db.prepare(
      `INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                            backend_upload_id, error_retryable, created_at, updated_at)
       VALUES ('a', 's3://bucket/p', '/home/me/a.bin', 'p/a.bin', 20, 1714564800123.25, '42', 10, 'uploading', 'mp-7', 1, 5, 6)`,
    ).run();
    db.prepare("INSERT INTO parts (upload_id, part_no, offset_bytes, length_bytes, etag, state) VALUES ('a', 1, 0, 10, 'e1', 'sent')").run();
    db.prepare("INSERT INTO parts (upload_id, part_no, offset_bytes, length_bytes, state) VALUES ('a', 2, 10, 10, 'pending')").run();
    db.close();

    const { journal, report } = Journal.open(file);
    try {
      expect(report).toEqual({ setAsidePath: null, reason: null });
      expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(journal.getUpload('a')).toMatchObject({
        destination: 's3://bucket/p',
        mtimeMs: 1714564800123.25,
        inode: '42',
        state: 'uploading',
        backendUploadId: 'mp-7',
        errorRetryable: true,
        createdAt: 5,
        updatedAt: 6,
      });
      expect(journal.partProgress('a')).toEqual({ partsDone: 1, partsTotal: 2, bytesDone: 10 });
    } finally {
      journal.close();
    }
  });
});
