// Deciding, without changing a byte, whether the file at the journal path is a Tierdrop journal
// we can use, someone else's file, a damaged journal, or a journal from a newer Tierdrop.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { TierdropError } from '../errors/index.js';
import { APPLICATION_ID, openForInspection, readApplicationId } from './connection.js';
import { errorCodeOf, locationError } from './location.js';
import { LATEST_SCHEMA_VERSION, migrate, readUserVersion } from './migrations/index.js';

// Every SQLite 3 file starts with these 16 bytes.
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
// SQLite's smallest page size: a non-empty database file is at least one whole page. SQLite itself
// would read a shorter file as an empty database and then overwrite it, so we check first.
const MIN_SQLITE_FILE_BYTES = 512;
// SQLite's logs next to a database, holding commits not yet copied into the main file.
const LOG_SUFFIXES = ['-wal', '-journal'] as const;

export type Inspection =
  | { kind: 'missing' }
  | { kind: 'usable' }
  | { kind: 'not_ours'; detail: string }
  | { kind: 'damaged'; detail: string }
  | { kind: 'orphan_log' };

const TableNames = z.array(z.object({ name: z.string() }));
const QuickCheck = z.array(z.object({ quick_check: z.string() }));

let knownTables: ReadonlySet<string> | undefined;

/** The tables this build's migrations create, found by running them on an empty database. */
function knownTableNames(): ReadonlySet<string> {
  if (knownTables === undefined) {
    const scratch = new Database(':memory:');
    try {
      migrate(scratch);
      knownTables = new Set(userTables(scratch));
    } finally {
      scratch.close();
    }
  }
  return knownTables;
}

function userTables(db: Database.Database): string[] {
  const rows = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .all();
  return TableNames.parse(rows).map((row) => row.name);
}

function fileSize(filePath: string): number | null {
  try {
    return fs.statSync(filePath).size;
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return null;
    throw error;
  }
}

// The part of an SQLite file header we read ourselves: magic, then user_version and application_id.
const HEADER_BYTES = 100;
const USER_VERSION_OFFSET = 60;
const APPLICATION_ID_OFFSET = 68;

function readHeader(filePath: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = fs.openSync(filePath, 'r');
  try {
    fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header;
}

/**
 * Looks at the file at `journalPath` read-only. Throws TierdropError('journal_damaged') for a
 * journal written by a newer Tierdrop, and a location error when the file cannot be read.
 */
export function inspectJournalFile(journalPath: string): Inspection {
  try {
    return inspect(journalPath);
  } catch (error) {
    throw locationError(journalPath, error);
  }
}

function inspect(journalPath: string): Inspection {
  const size = fileSize(journalPath);
  if (size === null || size === 0) {
    // SQLite would silently delete a write-ahead log found next to an empty database; a log with
    // no journal is still someone's data, so it is set aside rather than lost.
    const logLeft = LOG_SUFFIXES.some((suffix) => (fileSize(journalPath + suffix) ?? 0) > 0);
    if (logLeft) return { kind: 'orphan_log' };
    // An empty file is what a crash between creating the journal and writing its header leaves.
    return size === null ? { kind: 'missing' } : { kind: 'usable' };
  }
  if (size < MIN_SQLITE_FILE_BYTES) {
    return { kind: 'not_ours', detail: `it is only ${size} bytes long, too short to be an SQLite database` };
  }
  const header = readHeader(journalPath);
  if (!header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    return { kind: 'not_ours', detail: 'it is not an SQLite database' };
  }
  // Without a log the main file's header is the whole truth, and judging from it spares SQLite
  // creating an empty -wal and -shm beside a file we are about to refuse. An unmarked file needs
  // its tables looked at first: another program's user_version says nothing about Tierdrop.
  const headerApplicationId = header.readUInt32BE(APPLICATION_ID_OFFSET);
  if ((fileSize(journalPath + '-wal') ?? 0) === 0 && headerApplicationId !== 0) {
    const verdict = judgeIdentity(journalPath, headerApplicationId, header.readUInt32BE(USER_VERSION_OFFSET));
    if (verdict !== null) return verdict;
  }

  const db = openForInspection(journalPath);
  try {
    return inspectDatabase(journalPath, db);
  } catch (error) {
    const code = errorCodeOf(error) ?? '';
    if (code === 'SQLITE_NOTADB') return { kind: 'not_ours', detail: 'SQLite does not recognise it as a database' };
    if (code.startsWith('SQLITE_CORRUPT')) {
      return { kind: 'damaged', detail: `SQLite reports: ${error instanceof Error ? error.message : code}` };
    }
    throw error;
  } finally {
    db.close();
  }
}

/**
 * What the application id and schema version alone say: another program's file, a journal from a
 * newer Tierdrop (thrown), or null when it takes a closer look.
 */
function judgeIdentity(journalPath: string, applicationId: number, version: number): Inspection | null {
  if (applicationId !== APPLICATION_ID && applicationId !== 0) {
    return {
      kind: 'not_ours',
      detail: `it is another program's SQLite database, application_id 0x${applicationId.toString(16).padStart(8, '0')}`,
    };
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new TierdropError(
      'journal_damaged',
      `The journal at ${journalPath} was written by a newer version of Tierdrop (journal schema ${version}; this version reads up to ${LATEST_SCHEMA_VERSION}).`,
      { hint: 'Update Tierdrop to the latest version. The journal has been left exactly as it was.' },
    );
  }
  return null;
}

function inspectDatabase(journalPath: string, db: Database.Database): Inspection {
  const applicationId = readApplicationId(db);
  if (applicationId === 0) {
    // No mark: an empty database, or one whose tables may tell us it is someone else's.
    const known = knownTableNames();
    const foreign = userTables(db).filter((name) => !known.has(name));
    if (foreign.length > 0) {
      return { kind: 'not_ours', detail: `it is an SQLite database with tables Tierdrop does not use: ${foreign.join(', ')}` };
    }
  }
  const verdict = judgeIdentity(journalPath, applicationId, readUserVersion(db));
  if (verdict !== null) return verdict;
  const problems = QuickCheck.parse(db.pragma('quick_check'))
    .map((row) => row.quick_check)
    .filter((line) => line !== 'ok');
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : '';
    return { kind: 'damaged', detail: `SQLite's quick_check found: ${problems[0] ?? 'unknown'}${more}` };
  }
  return { kind: 'usable' };
}
