// Opening the journal file: look before touching, set aside what is not ours or is damaged,
// then open read-write, configure and migrate. Returns the connection and what was found.
import type Database from 'better-sqlite3';
import { TierdropError } from '../errors/index.js';
import { openConnection } from './connection.js';
import { inspectJournalFile, type Inspection } from './identity.js';
import { ensureJournalFolder, errorCodeOf, locationError } from './location.js';
import { migrate } from './migrations/index.js';
import { setAside } from './set-aside.js';
import type { OpenReport } from './types.js';

const NOTHING_FOUND: OpenReport = { setAsidePath: null, reason: null };
const WILL_NOT_RESUME = 'a new one started. Uploads recorded in it will not resume.';

function reasonFor(found: Exclude<Inspection, { kind: 'missing' | 'usable' }>, journalPath: string, movedTo: string): string {
  switch (found.kind) {
    case 'not_ours':
      return `The journal at ${journalPath} was not a Tierdrop journal (${found.detail}); it was moved to ${movedTo} and ${WILL_NOT_RESUME}`;
    case 'damaged':
      return `The journal at ${journalPath} was damaged (${found.detail}); it was moved to ${movedTo} and ${WILL_NOT_RESUME}`;
    case 'orphan_log':
      return `The journal at ${journalPath} was missing or empty but its SQLite log was still there; the log was moved to ${movedTo} and ${WILL_NOT_RESUME}`;
  }
}

export function openJournalFile(journalPath: string, nowMs: () => number): { db: Database.Database; report: OpenReport } {
  ensureJournalFolder(journalPath);
  const found = inspectJournalFile(journalPath);
  let report = NOTHING_FOUND;
  if (found.kind !== 'missing' && found.kind !== 'usable') {
    let moved: string[];
    try {
      moved = setAside(journalPath, nowMs()).moved;
    } catch (error) {
      throw locationError(journalPath, error);
    }
    const movedTo = moved[0] ?? journalPath;
    report = { setAsidePath: movedTo, reason: reasonFor(found, journalPath, movedTo) };
  }
  return { db: openAndMigrate(journalPath), report };
}

function openAndMigrate(journalPath: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = openConnection(journalPath);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    const code = errorCodeOf(error) ?? '';
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      // The file passed inspection a moment ago, so something changed it since; the next open
      // inspects it again and sets it aside if it is still bad.
      throw new TierdropError('journal_damaged', `The journal at ${journalPath} became unreadable while it was being opened.`, {
        retryable: true,
        hint: 'Make sure no other program writes to the journal, then start Tierdrop again.',
        cause: error,
      });
    }
    throw locationError(journalPath, error);
  }
}
