// What a request cut short by its caller's AbortSignal reports: the caller's own TierdropError
// reason when it gave one (say, `stalled`), otherwise `paused`, which is always worth retrying.
import { TierdropError } from '../errors/index.js';

/** The error to throw when `signal` has fired, or null when the failure had another cause. */
export function abortedFailure(signal: AbortSignal | undefined, doing: string, cause: unknown): TierdropError | null {
  if (signal === undefined || !signal.aborted) return null;
  if (signal.reason instanceof TierdropError) return signal.reason;
  return new TierdropError('paused', `${doing}: the request was aborted.`, { retryable: true, cause });
}
