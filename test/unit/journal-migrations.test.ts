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

describe('002 changes-and-keys', () => {
  it('adds the changes and secrets tables to a version 1 journal, leaving uploads and parts as they were', () => {
    const db = databaseAt(1);
    const before = describeSchema(db);

    expect(migrateTo(db, 2)).toEqual([2]);

    expect(readUserVersion(db)).toBe(2);
    const schema = describeSchema(db);
    expect(schema.tables.filter((table) => table.name === 'uploads' || table.name === 'parts')).toEqual(before.tables);
    const changes = schema.tables.find((table) => table.name === 'changes');
    expect(changes?.strict).toBe(true);
    expect(changes?.columns.map((column) => column.name)).toEqual([
      'id',
      'destination',
      'key',
      'old_revision',
      'new_revision',
      'lt_upload_id',
      'phase',
      'attempts',
      'next_attempt_at',
      'created_at',
      'updated_at',
    ]);
    expect(schema.tables.find((table) => table.name === 'secrets')?.columns.map((column) => column.name)).toEqual(['name', 'value', 'created_at']);
    expect(schema.indexes).toContainEqual({ name: 'changes_by_destination', table: 'changes', columns: ['destination', 'key'] });
  });

  it('accepts exactly the ChangeGuard phases, and no change that names no revision', () => {
    expectPhaseChecks(databaseAt(2));
  });

  it('keeps version 1 rows, and the journal reads and writes changes and a stable token key after it', () => {
    const file = path.join(tempDir, 'journal.sqlite');
    const db = databaseAt(1, file);
    db.prepare(
      `INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                            backend_upload_id, error_retryable, created_at, updated_at)
       VALUES ('a', 'file:///x', '/a.bin', 'a.bin', 20, 1, '42', 10, 'uploading', 'token-1', 0, 5, 6)`,
    ).run();
    db.close();

    const { journal } = Journal.open(file);
    try {
      expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(journal.getUpload('a')?.backendUploadId).toBe('token-1');
      const change = journal.changes.record({
        id: 'c1',
        destination: 'file:///x',
        key: 'a.bin',
        oldRevision: null,
        newRevision: 'r1',
        ltUploadId: null,
        phase: 'recorded',
      });
      expect(journal.changes.update(change, { phase: 'assembling', ltUploadId: 'u1' })).toMatchObject({ phase: 'assembling', ltUploadId: 'u1' });
      expect(journal.changes.forRevision('file:///x', 'a.bin', 'r1')?.id).toBe('c1');
      expect(journal.changes.destinations()).toEqual(['file:///x']);
      expect(journal.changes.isTokenHeld('token-1')).toBe(true);
      const key = journal.changes.uploadTokenKey();
      expect(key).toHaveLength(32);
      expect(journal.changes.uploadTokenKey().equals(key)).toBe(true);
      journal.changes.remove('c1');
      expect(journal.changes.list()).toEqual([]);
    } finally {
      journal.close();
    }
  });
});

describe('003 sync-index', () => {
  it('adds sync_roots and sync_index to a version 2 journal, leaving the tables before it as they were', () => {
    const db = databaseAt(2);
    const before = describeSchema(db);

    expect(migrateTo(db, 3)).toEqual([3]);

    expect(readUserVersion(db)).toBe(3);
    const schema = describeSchema(db);
    expect(schema.tables.filter((table) => before.tables.some((old) => old.name === table.name))).toEqual(before.tables);
    const roots = schema.tables.find((table) => table.name === 'sync_roots');
    expect(roots?.strict).toBe(true);
    expect(roots?.columns.map((column) => column.name)).toEqual([
      'id',
      'folder',
      'destination',
      'deletions',
      'follow_symlinks',
      'paused',
      'listed_at',
      'last_synced_at',
      'scan_no',
      'created_at',
      'updated_at',
    ]);
    const index = schema.tables.find((table) => table.name === 'sync_index');
    expect(index).toMatchObject({ strict: true, withoutRowid: true });
    expect(index?.columns.filter((column) => column.primaryKeyPosition > 0).map((column) => column.name)).toEqual(['root_id', 'key']);
    expect(index?.foreignKeys).toEqual([{ from: 'root_id', table: 'sync_roots', to: 'id', onDelete: 'CASCADE' }]);
    expect(schema.indexes).toContainEqual({ name: 'sync_index_by_status', table: 'sync_index', columns: ['root_id', 'status', 'upload_id'] });
  });

  it('refuses unknown policies and statuses, a synced entry without a hash, and an entry without a root', () => {
    const db = databaseAt(3);
    const root = db.prepare(`INSERT INTO sync_roots (id, folder, destination, deletions, created_at, updated_at) VALUES (?, ?, 'file:///d', ?, 0, 0)`);
    root.run('r1', '/a', 'keep');
    root.run('r2', '/b', 'mirror');
    expect(() => root.run('r3', '/c', 'purge')).toThrow(/CHECK/);
    expect(() => root.run('r4', '/a', 'keep')).toThrow(/UNIQUE/);
    const entry = db.prepare(
      `INSERT INTO sync_index (root_id, key, local_path, fold_key, size_bytes, mtime_ms, inode, content_hash, status, updated_at)
       VALUES (?, ?, ?, ?, 1, 1, '1', ?, ?, 0)`,
    );
    entry.run('r1', 'a.txt', 'a.txt', 'a.txt', 'hash', 'synced');
    entry.run('r1', 'b.txt', 'b.txt', 'b.txt', null, 'pending');
    expect(() => entry.run('r1', 'c.txt', 'c.txt', 'c.txt', null, 'synced')).toThrow(/CHECK/);
    expect(() => entry.run('r1', 'd.txt', 'd.txt', 'd.txt', null, 'uploading')).toThrow(/CHECK/);
    expect(() => entry.run('nope', 'e.txt', 'e.txt', 'e.txt', null, 'pending')).toThrow(/FOREIGN KEY/);
    db.prepare(`DELETE FROM sync_roots WHERE id = 'r1'`).run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM sync_index').get()).toEqual({ n: 0 });
  });

  it('keeps version 2 rows, and the journal reads and writes roots and entries after it', () => {
    const file = path.join(tempDir, 'journal.sqlite');
    const db = databaseAt(2, file);
    db.prepare(
      `INSERT INTO uploads (id, destination, source_path, key, size_bytes, mtime_ms, inode, part_size_bytes, state,
                            error_retryable, created_at, updated_at)
       VALUES ('a', 'file:///x', '/a.bin', 'a.bin', 20, 1, '42', 10, 'done', 0, 5, 6)`,
    ).run();
    db.close();

    const { journal } = Journal.open(file);
    try {
      expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(journal.getUpload('a')?.state).toBe('done');
      const index = journal.syncIndex;
      index.insertRoot({ id: 'root', folder: '/f', destination: 'file:///x', deletions: 'keep', followSymlinks: false });
      const seen = { key: 'Docs/A.txt', localPath: 'Docs/A.txt', sizeBytes: 3, mtimeMs: 1.5, inode: '9' };
      index.batch(() => index.markPending('root', seen, 1));
      expect(index.nextPending('root', 10).map((entry) => entry.key)).toEqual(['Docs/A.txt']);
      expect(index.caseTwin('root', 'docs/a.txt')).toBe('Docs/A.txt');
      index.markSynced('root', seen, 'sha', 'etag-1', 1);
      expect(index.getEntry('root', 'Docs/A.txt')).toMatchObject({ status: 'synced', contentHash: 'sha', remoteEtag: 'etag-1', uploadId: null });
      expect(index.under('root', 'Docs', '', 10).map((entry) => entry.key)).toEqual(['Docs/A.txt']);
      expect(index.unseen('root', 2, 10).map((entry) => entry.key)).toEqual(['Docs/A.txt']);
      expect(index.updateRoot('root', { paused: true, lastSyncedAt: 7 })).toMatchObject({ paused: true, lastSyncedAt: 7, followSymlinks: false });
      index.deleteRoot('root');
      expect(index.getEntry('root', 'Docs/A.txt')).toBeNull();
    } finally {
      journal.close();
    }
  });
});

describe('004 lean-changes', () => {
  it('rebuilds changes as a WITHOUT ROWID table keyed by id, with the same columns and no second index', () => {
    const db = databaseAt(3);
    const before = describeSchema(db);

    expect(migrateTo(db, 4)).toEqual([4]);

    expect(readUserVersion(db)).toBe(4);
    const schema = describeSchema(db);
    expect(schema.tables.filter((table) => table.name !== 'changes')).toEqual(before.tables.filter((table) => table.name !== 'changes'));
    const changes = schema.tables.find((table) => table.name === 'changes');
    expect(changes).toMatchObject({ strict: true, withoutRowid: true, foreignKeys: [] });
    expect(changes?.columns).toEqual(before.tables.find((table) => table.name === 'changes')?.columns);
    expect(changes?.columns.filter((column) => column.primaryKeyPosition > 0).map((column) => column.name)).toEqual(['id']);
    expect(schema.indexes.filter((index) => index.table === 'changes')).toEqual([]);
    expect(schema.indexes).toEqual(before.indexes.filter((index) => index.table !== 'changes'));
  });

  it('still refuses unknown phases, changes naming no revision, and a second change with the same id', () => {
    const db = databaseAt(4);
    const insert = expectPhaseChecks(db);
    expect(() => insert.run('ok-recorded', 'old', null, 'written')).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare(`INSERT INTO changes (id, destination, key, new_revision, phase, attempts, created_at, updated_at) VALUES ('neg', 'd', 'k', 'r', 'recorded', -1, 0, 0)`).run()).toThrow(/CHECK/);
  });

  it('keeps the changes and token key of a version 3 journal, and the journal reads, updates and removes them after it', () => {
    const file = path.join(tempDir, 'journal.sqlite');
    const db = databaseAt(3, file);
    const insert = db.prepare(
      `INSERT INTO changes (id, destination, key, old_revision, new_revision, lt_upload_id, phase, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('c2', 'file:///x', 'b.bin', 'r0', 'r2', null, 'written', 3, 900, 20, 21);
    insert.run('c1', 'file:///x', 'a.bin', null, 'r1', 'u1', 'assembling', 0, 0, 10, 11);
    insert.run('c3', 's3://bucket/p', 'a.bin', 'r9', null, null, 'updated', 0, 0, 30, 30);
    db.prepare(`INSERT INTO secrets (name, value, created_at) VALUES ('upload-token-hmac', ?, 1)`).run(Buffer.alloc(32, 7));
    db.close();

    const { journal } = Journal.open(file);
    try {
      expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(journal.changes.list().map((change) => change.id)).toEqual(['c1', 'c2', 'c3']);
      expect(journal.changes.list('file:///x').map((change) => change.id)).toEqual(['c1', 'c2']);
      expect(journal.changes.destinations()).toEqual(['file:///x', 's3://bucket/p']);
      expect(journal.changes.get('c2')).toEqual({
        id: 'c2',
        destination: 'file:///x',
        key: 'b.bin',
        oldRevision: 'r0',
        newRevision: 'r2',
        ltUploadId: null,
        phase: 'written',
        attempts: 3,
        nextAttemptAt: 900,
        createdAt: 20,
        updatedAt: 21,
      });
      expect(journal.changes.forRevision('file:///x', 'a.bin', 'r1')?.id).toBe('c1');
      expect(journal.changes.forRevision('s3://bucket/p', 'a.bin', 'r1')).toBeNull();
      expect(journal.changes.uploadTokenKey().equals(Buffer.alloc(32, 7))).toBe(true);

      const c1 = journal.changes.get('c1');
      if (c1 === null) throw new Error('c1 is gone');
      journal.changes.update(c1, { phase: 'written', oldRevision: 'r0' });
      expect(journal.changes.get('c1')).toMatchObject({ phase: 'written', oldRevision: 'r0', ltUploadId: 'u1', attempts: 0 });
      journal.changes.remove('c2');
      expect(journal.changes.list().map((change) => change.id)).toEqual(['c1', 'c3']);
      expect(journal.integrityCheck()).toEqual([]);
    } finally {
      journal.close();
    }
  });
});

/** Every ChangeGuard phase is accepted, an unknown one and a change naming no revision are refused; answers the insert. */
function expectPhaseChecks(db: Database.Database): Database.Statement<[string, string | null, string | null, string]> {
  const insert = db.prepare<[string, string | null, string | null, string]>(
    `INSERT INTO changes (id, destination, key, old_revision, new_revision, phase, created_at, updated_at) VALUES (?, 'd', 'k', ?, ?, ?, 0, 0)`,
  );
  for (const phase of ['recorded', 'assembling', 'written', 'updated', 'lost', 'recovered', 'completed']) {
    insert.run(`ok-${phase}`, null, 'r', phase);
  }
  expect(() => insert.run('bad-phase', null, 'r', 'committed')).toThrow(/CHECK/);
  expect(() => insert.run('no-revision', null, null, 'recorded')).toThrow(/CHECK/);
  return insert;
}
