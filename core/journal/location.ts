// Where the journal lives on disk: making sure its folder exists and is writable, and turning
// file-system and SQLite failures about that place into errors a person can act on.
import fs from 'node:fs';
import path from 'node:path';
import { TierdropError } from '../errors/index.js';

const LOCATION_HINT =
  'Check that the folder exists and your user can write to it, or point Tierdrop at a journal location in a folder you own.';

/** The `code` of a Node system error (`EACCES`) or an SQLite error (`SQLITE_CANTOPEN`), if any. */
export function errorCodeOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function detailOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates the journal's folder if needed and checks that the journal can be written there. */
export function ensureJournalFolder(journalPath: string): void {
  const folder = path.dirname(journalPath);
  try {
    fs.mkdirSync(folder, { recursive: true });
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    throw locationError(journalPath, error);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(journalPath);
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return;
    throw locationError(journalPath, error);
  }
  if (!stat.isFile()) {
    throw new TierdropError('invalid_input', `The journal path ${journalPath} is a folder or a device, not a file.`, {
      hint: 'Point Tierdrop at a file path for its journal, for example journal.sqlite inside that folder.',
    });
  }
  try {
    fs.accessSync(journalPath, fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    throw locationError(journalPath, error);
  }
}

/** Maps a failure to create, open, read or write the journal file into a TierdropError. */
export function locationError(journalPath: string, error: unknown): TierdropError {
  if (error instanceof TierdropError) return error;
  const code = errorCodeOf(error) ?? '';
  const detail = detailOf(error);
  const cause = { cause: error };
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new TierdropError(
      'invalid_input',
      `Tierdrop cannot create its journal at ${journalPath}: part of that path is a file, not a folder (${detail}).`,
      { hint: LOCATION_HINT, ...cause },
    );
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return new TierdropError('disk_full', `Tierdrop cannot write its journal at ${journalPath}: the disk is full.`, {
      retryable: true,
      hint: 'Free some space on that disk, then try again.',
      ...cause,
    });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code.startsWith('SQLITE_LOCKED')) {
    return new TierdropError('conflict', `The journal at ${journalPath} is locked by another Tierdrop process.`, {
      retryable: true,
      hint: 'Wait for the other Tierdrop to finish what it is doing, or quit it, then try again.',
      ...cause,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new TierdropError('access_denied', `Tierdrop cannot write its journal at ${journalPath}: permission denied (${detail}).`, {
      hint: LOCATION_HINT,
      ...cause,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || /^E[A-Z]+$/.test(code)) {
    return new TierdropError('access_denied', `Tierdrop cannot open its journal at ${journalPath}: ${detail}.`, {
      hint: LOCATION_HINT,
      ...cause,
    });
  }
  return new TierdropError('internal', `Unexpected error with the journal at ${journalPath}: ${detail}`, cause);
}
