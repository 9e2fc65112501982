// Journal writes that may wait a moment: many of them become one SQLite transaction instead of one
// commit each. Only writes whose loss in a crash is harmless (progress, cleanup done) are queued.
import type Database from 'better-sqlite3';

/**
 * `batched`: written with everything else queued in this turn of the event loop. `lazy`: progress
 * nobody waits for, written with the next batch or on its own after a short while.
 */
export type WriteUrgency = 'batched' | 'lazy';

// Files finishing within this window share one commit: at hundreds of small files a second that
// is tens of rows per commit instead of one, for a delay nobody sees.
const BATCH_WINDOW_MS = 25;
// A batch this long is written at once, so one commit never holds the write lock for long.
const BATCH_MAX_WRITES = 512;
// Long enough to ride along with the next batched write, short enough that `tierdrop status` in
// another process sees a transfer move.
const LAZY_WRITE_DELAY_MS = 200;

export class WriteQueue {
  /** By key: a later write of the same thing replaces the earlier one. */
  readonly #writes = new Map<string, () => void>();
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** Set while a batched write waits: it is written when this fires. */
  #batchTimer: NodeJS.Timeout | null = null;
  /** Set while only lazy writes wait. */
  #lazyTimer: NodeJS.Timeout | null = null;
  readonly #db: Database.Database;
  readonly #onWritten: () => void;

  /** `onWritten` runs after each successful flush, when everything queued until then is in the file. */
  constructor(db: Database.Database, onWritten: () => void) {
    this.#db = db;
    this.#onWritten = onWritten;
  }

  get size(): number {
    return this.#writes.size;
  }

  /** Queues `write` under `key`, replacing a write queued under the same key. */
  add(key: string, write: () => void, urgency: WriteUrgency): void {
    this.#writes.delete(key); // re-inserted last: writes land in the order they were last queued
    this.#writes.set(key, write);
    if (urgency === 'batched') this.#scheduleBatch();
    else this.#scheduleLazy();
  }

  /** Forgets the write queued under `key`, if any (the caller wrote something newer itself). */
  drop(key: string): void {
    this.#writes.delete(key);
  }

  /** Resolves once everything queued so far is in the file. */
  written(): Promise<void> {
    if (this.#writes.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#scheduleBatch();
    });
  }

  /**
   * Writes everything queued in one transaction. On failure nothing queued is dropped (the next
   * flush tries again) and the error goes to the caller and to whoever waits.
   */
  flush(): void {
    if (this.#writes.size === 0) {
      this.#cancelSchedules();
      this.#settleWaiters(null);
      return;
    }
    try {
      this.#commit(() => undefined);
    } catch (error) {
      this.#settleWaiters(error);
      throw error;
    }
  }

  #commit<T>(write: () => T): T {
    const queued = [...this.#writes.values()];
    const result = this.#db
      .transaction(() => {
        for (const queuedWrite of queued) queuedWrite();
        return write();
      })
      .immediate();
    this.#cancelSchedules();
    this.#writes.clear();
    this.#onWritten();
    this.#settleWaiters(null);
    return result;
  }

  #settleWaiters(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** Stops the timers; what is still queued stays unwritten (call flush first to keep it). */
  dispose(): void {
    this.#cancelSchedules();
  }

  #scheduleBatch(): void {
    const full = this.#writes.size >= BATCH_MAX_WRITES;
    if (this.#batchTimer !== null && !full) return;
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    // Not unref'd: someone may wait for this write, so the process lives until it is made.
    this.#batchTimer = setTimeout(() => this.#onTimer(), full ? 0 : BATCH_WINDOW_MS);
  }

  #scheduleLazy(): void {
    if (this.#lazyTimer !== null || this.#batchTimer !== null) return;
    this.#lazyTimer = setTimeout(() => this.#onTimer(), LAZY_WRITE_DELAY_MS);
    this.#lazyTimer.unref();
  }

  #onTimer(): void {
    this.#cancelSchedules(); // whichever fired, the other one's write goes now too
    this.#flushQuietly();
  }

  /** A flush nobody called: its waiters hear of a failure, and the writes wait for the next try. */
  #flushQuietly(): void {
    try {
      this.flush();
    } catch {
      if (this.#writes.size > 0) this.#scheduleLazy();
    }
  }

  #cancelSchedules(): void {
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    if (this.#lazyTimer !== null) clearTimeout(this.#lazyTimer);
    this.#batchTimer = null;
    this.#lazyTimer = null;
  }
}
