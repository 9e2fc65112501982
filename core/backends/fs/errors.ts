// Turns Node system errors met inside a local destination folder into TierdropErrors that say
// which object, which folder, and what a person can do about it.
import { TierdropError } from '../../errors/index.js';
import { printable } from '../keys.js';

export interface FsErrorContext {
  /** What we were doing, as a verb phrase: 'write', 'read', 'delete', 'complete the upload of'. */
  operation: string;
  key?: string;
  root: string;
}

export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' ? code : undefined;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || errnoCode(error) === 'ABORT_ERR');
}

export function fsError(error: unknown, context: FsErrorContext): TierdropError {
  if (error instanceof TierdropError) return error;
  const what = context.key === undefined ? context.root : `"${printable(context.key)}" in ${context.root}`;
  const doing = `Cannot ${context.operation} ${what}`;
  if (isAbortError(error)) {
    return new TierdropError('paused', `${doing}: the request was aborted.`, { retryable: true, cause: error });
  }
  const code = errnoCode(error);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new TierdropError('disk_full', `${doing}: the disk is full.`, {
        retryable: true,
        hint: `Free some space on the disk that holds ${context.root}, then retry.`,
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new TierdropError('access_denied', `${doing}: permission denied.`, {
        hint: `Give your user read and write permission on ${context.root}.`,
        cause: error,
      });
    case 'EROFS':
      return new TierdropError('access_denied', `${doing}: the disk is read-only.`, {
        hint: 'Choose a destination folder on a writable disk.',
        cause: error,
      });
    case 'ENOTDIR':
    case 'EEXIST':
      return new TierdropError('conflict', `${doing}: a file is in the way where a folder is needed.`, {
        hint: 'Rename or move the file that has the name of one of the key\'s folders.',
        cause: error,
      });
    case 'EISDIR':
    case 'ENOTEMPTY':
      return new TierdropError('conflict', `${doing}: a folder is in the way where the file should go.`, {
        hint: 'Rename or move the folder that has the name of the object.',
        cause: error,
      });
    case 'EBUSY':
      return new TierdropError('store_error', `${doing}: the file is in use by another program.`, {
        retryable: true,
        hint: 'Close the program that has the file open, then retry.',
        cause: error,
      });
    case 'ENAMETOOLONG':
      return new TierdropError('invalid_input', `${doing}: the path is too long for this file system.`, {
        hint: 'Use shorter folder and file names.',
        cause: error,
      });
    case 'EXDEV':
      return new TierdropError('store_error', `${doing}: part of the folder is on another disk, so files cannot be moved into place atomically.`, {
        hint: `Do not mount other disks inside ${context.root}.`,
        cause: error,
      });
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return new TierdropError('store_error', `${doing}: ${detail}`, {
        retryable: true,
        hint: 'Check the disk, then retry.',
        cause: error,
      });
    }
  }
}
