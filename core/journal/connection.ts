// The settings every journal connection shares, and the mark that tells a Tierdrop journal apart
// from any other SQLite file.
import Database from 'better-sqlite3';
import { z } from 'zod';

// 'TDRP' in ASCII. SQLite stores it in the file header, so we can tell our journal from another
// program's database (or a file someone pointed us at by mistake) before trusting a single table.
export const APPLICATION_ID = 0x54445250;

// A second process (`tierdrop status` while an upload runs) waits this long for a lock instead of
// failing at once; the engine's write transactions last milliseconds, so this is generous.
export const BUSY_TIMEOUT_MS = 5_000;

// 16 MiB of WAL at the default 4 KiB page: checkpoints stay rare without the file growing far.
const WAL_CHECKPOINT_PAGES = 4096;

const ApplicationId = z.number().int();

export function readApplicationId(db: Database.Database): number {
  // SQLite reports the header's 32 bits as a signed integer; compare as unsigned.
  return ApplicationId.parse(db.pragma('application_id', { simple: true })) >>> 0;
}

/** Opens a connection for reading and writing (creating the file if needed) with the journal's settings. */
export function openConnection(path: string): Database.Database {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    configure(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens a connection that cannot change the file, for looking at a journal before adopting it. */
export function openForInspection(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
}

function configure(db: Database.Database): void {
  // Marked before switching to WAL, so even a journal killed before its first checkpoint carries
  // the mark in the main file's header. Written only when missing: a second process opening a
  // live journal should not need the write lock.
  if (readApplicationId(db) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
  // WAL + synchronous=NORMAL survives a crashed or killed process (our crash model is SIGKILL)
  // with every commit intact; only a power loss can drop the last few commits. The engine
  // tolerates that: a part whose receipt was lost is simply not marked sent, so it is sent again.
  // WAL also lets another process read while an upload writes.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Under NORMAL only a checkpoint syncs to disk, and by default one runs every 1,000 pages, inside
  // whichever commit crosses the line: with many small files that was every few hundred commits,
  // doubling their average cost. Fewer, larger checkpoints also copy each hot page once, not often.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  // Per connection and off in stock SQLite (better-sqlite3 happens to build it on): said here so
  // deleting an upload never orphans its parts, whatever the driver's build.
  db.pragma('foreign_keys = ON');
}
