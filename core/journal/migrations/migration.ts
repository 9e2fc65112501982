// What a schema migration is and how a list of them is applied: each one in its own transaction,
// with `PRAGMA user_version` recording the last one applied.
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { TierdropError } from '../../errors/index.js';

export interface Migration {
  /** 1, 2, 3…: the schema version the database has once this migration ran. */
  readonly version: number;
  /** Short, kebab-case, the same as the file name after the number. */
  readonly name: string;
  /**
   * Changes the schema from `version - 1` to `version`. Runs inside a transaction with
   * `foreign_keys = ON`; a migration that rebuilds a referenced table must keep the rows valid.
   */
  up(db: Database.Database): void;
}

const UserVersion = z.number().int().min(0);

export function readUserVersion(db: Database.Database): number {
  return UserVersion.parse(db.pragma('user_version', { simple: true }));
}

/** Throws unless the list is 1, 2, 3… in order: a gap or a duplicate is a bug in the build. */
export function assertMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new TierdropError(
        'internal',
        `Journal migration "${migration.name}" has version ${migration.version} but is number ${index + 1} in the list.`,
      );
    }
  });
}

/**
 * Applies every migration above the database's version, up to and including `targetVersion`.
 * Returns the versions applied. A database newer than `targetVersion` is left alone: the caller
 * decides whether that is an error.
 */
export function runMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  targetVersion: number,
): number[] {
  assertMigrationOrder(migrations);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version > targetVersion) break;
    // Checked before taking the write lock, so opening an up-to-date journal never waits for
    // (or blocks) another process's writes.
    if (readUserVersion(db) >= migration.version) continue;
    // IMMEDIATE so two processes opening the same old journal cannot both start the same
    // migration; the one that waited sees the new version and skips it.
    const step = db.transaction(() => {
      if (readUserVersion(db) >= migration.version) return false;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (step.immediate()) applied.push(migration.version);
  }
  return applied;
}
