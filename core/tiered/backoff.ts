// Cleanup retries, as objectstore's ChangeGuard does them: 100 ms, then ×1.5 each time, at most 30 s.
import { setTimeout as sleep } from 'node:timers/promises';

export const CLEANUP_FIRST_DELAY_MS = 100;
export const CLEANUP_GROWTH = 1.5;
export const CLEANUP_MAX_DELAY_MS = 30_000;

export function cleanupDelayMs(attempt: number): number {
  return Math.min(CLEANUP_MAX_DELAY_MS, CLEANUP_FIRST_DELAY_MS * CLEANUP_GROWTH ** Math.max(0, attempt - 1));
}

/**
 * Runs `work` until it succeeds, backing off between failures. Gives up (returns false) once
 * `signal` fires or `maxAttempts` failed; the caller then leaves the change for the next recovery.
 */
export async function withBackoff(work: () => Promise<void>, signal: AbortSignal, maxAttempts = Number.POSITIVE_INFINITY): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    if (signal.aborted) return false;
    try {
      await work();
      return true;
    } catch {
      if (attempt >= maxAttempts) return false;
      try {
        await sleep(cleanupDelayMs(attempt), undefined, { signal });
      } catch {
        return false;
      }
    }
  }
}
