// What a request cut short by its caller's AbortSignal reports: the caller's own TierdropError
// reason when it gave one (say, `stalled`), otherwise `paused`, which is always worth retrying.
import { addAbortSignal, type Readable } from 'node:stream';
import { TierdropError } from '../errors/index.js';

/** The error to throw when `signal` has fired, or null when the failure had another cause. */
export function abortedFailure(signal: AbortSignal | undefined, doing: string, cause: unknown): TierdropError | null {
  if (signal === undefined || !signal.aborted) return null;
  if (signal.reason instanceof TierdropError) return signal.reason;
  return new TierdropError('paused', `${doing}: the request was aborted.`, { retryable: true, cause });
}

/**
 * Lets `signal` end `body`, so a source or a download that stalls stops being waited on. Whoever
 * reads `body` gets the abort from the stream itself; the listener added here only keeps an abort
 * that lands before anyone reads (a shutdown while a part waits for its turn) from being an
 * unhandled 'error' event, which would end the process.
 */
export function endOnAbort(signal: AbortSignal, body: Readable): void {
  body.on('error', () => undefined);
  addAbortSignal(signal, body);
}
