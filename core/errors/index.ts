// Errors that carry what happened and what to do: a contract code, a message a person can act on,
// whether trying again can help, and the cause. Every layer throws these; shells turn them into data.
import type { ErrorCode, ErrorInfo } from '../contract/index.js';

export class TierdropError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TierdropError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  toInfo(): ErrorInfo {
    return this.hint === undefined
      ? { code: this.code, message: this.message, retryable: this.retryable }
      : { code: this.code, message: this.message, retryable: this.retryable, hint: this.hint };
  }
}

export function isTierdropError(error: unknown, code?: ErrorCode): error is TierdropError {
  return error instanceof TierdropError && (code === undefined || error.code === code);
}

/** Turns anything thrown into error data; unknown errors are bugs and say so. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof TierdropError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Unexpected error: ${message}`, retryable: false };
}

/** Maps a Node system error met while reading a local source file. */
export function sourceError(path: string, error: unknown): TierdropError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new TierdropError('source_missing', `${path} does not exist (it may have been moved or deleted).`, {
        hint: 'Put the file back or remove it from the queue.',
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new TierdropError('source_unreadable', `${path} cannot be read: permission denied.`, {
        hint: 'Give your user read permission on the file, then retry.',
        cause: error,
      });
    case 'ELOOP':
      return new TierdropError('source_loop', `${path} is a symbolic link that loops back on itself.`, {
        hint: 'Remove or fix the link.',
        cause: error,
      });
    case 'EISDIR':
      return new TierdropError('invalid_input', `${path} is a folder where a file was expected.`, { cause: error });
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return new TierdropError('source_unreadable', `${path} cannot be read: ${detail}`, {
        retryable: true,
        hint: 'Check the disk, then retry.',
        cause: error,
      });
    }
  }
}

/** Maps a Node system error met while writing a local file (a download, a settings file). */
export function localWriteError(path: string, error: unknown): TierdropError {
  if (error instanceof TierdropError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new TierdropError('disk_full', `There is no space left to write ${path}.`, {
        retryable: true,
        hint: 'Free some disk space, then try again.',
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new TierdropError('access_denied', `${path} cannot be written: permission denied.`, {
        hint: 'Choose a folder you can write to.',
        cause: error,
      });
    case 'ENOENT':
    case 'ENOTDIR':
      return new TierdropError('invalid_input', `The folder for ${path} does not exist.`, { cause: error });
    default:
      return new TierdropError('store_error', `Writing ${path} failed: ${detail}`, { retryable: true, cause: error });
  }
}
