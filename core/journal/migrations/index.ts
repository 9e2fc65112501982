// The journal's schema history: every migration in order, and the version this build writes.
// To add one: write `NNN-what-it-does.ts` exporting a Migration, append it here, add its test.
import type Database from 'better-sqlite3';
import { uploadsAndParts } from './001-uploads-and-parts.js';
import { changesAndKeys } from './002-changes-and-keys.js';
import { syncIndex } from './003-sync-index.js';
import { leanChanges } from './004-lean-changes.js';
import { assertMigrationOrder, runMigrations, type Migration } from './migration.js';

export { readUserVersion, runMigrations, type Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [uploadsAndParts, changesAndKeys, syncIndex, leanChanges];
assertMigrationOrder(MIGRATIONS);

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to `targetVersion` (default: this build's latest); returns the versions applied. */
export function migrate(db: Database.Database, targetVersion: number = LATEST_SCHEMA_VERSION): number[] {
  return runMigrations(db, MIGRATIONS, targetVersion);
}
