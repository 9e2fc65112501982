// Journal writes that may wait a moment: many of them become one SQLite transaction instead of one
// commit each. Only writes whose loss in a crash is harmless (progress, cleanup done) are queued.
import type Database from 'better-sqlite3';

/**
 * `batched`: written with everything else queued in this turn of the event loop. `lazy`: progress
 * nobody waits for, written within a short while, with a batch that goes by then.
 */
export type WriteUrgency = 'batched' | 'lazy';

// Files finishing within this window share one commit: at hundreds of small files a second that
// is tens of rows per commit instead of one, for a delay nobody sees.
const BATCH_WINDOW_MS = 25;
// A batch this long is written at once, so one commit never holds the write lock for long.
const BATCH_MAX_WRITES = 512;
// A lazy write is in the file this long after it was queued at the latest: short enough that
// `tierdrop status` in another process sees a transfer move. A batch before then leaves a lazy
// write younger than that for later, so a small file that finishes meanwhile writes its final
// state only, one UPDATE instead of two.
const LAZY_WRITE_DELAY_MS = 200;

interface QueuedWrite {
  write: () => void;
  /** When a lazy write has to be in the file; null for a batched write (someone may wait for it). */
  dueAtMs: number | null;
}

export class WriteQueue {
  /** By key: a later write of the same thing replaces the earlier one. */
  readonly #writes = new Map<string, QueuedWrite>();
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** Set while a batched write waits: it is written when this fires. */
  #batchTimer: NodeJS.Timeout | null = null;
  /** Set while only lazy writes wait, for when the first of them is due. */
  #lazyTimer: NodeJS.Timeout | null = null;
  /** One transaction around a list of writes, made once: better-sqlite3 builds a wrapper per call. */
  readonly #writeAll: (writes: readonly QueuedWrite[]) => void;
  readonly #onWritten: (keys: readonly string[]) => void;

  /** `onWritten` runs after each successful commit with the keys whose writes are now in the file. */
  constructor(db: Database.Database, onWritten: (keys: readonly string[]) => void) {
    const writeAll = db.transaction((writes: readonly QueuedWrite[]) => {
      for (const queued of writes) queued.write();
    });
    // IMMEDIATE takes the write lock up front, so a busy journal makes us wait (busy_timeout).
    this.#writeAll = (writes) => writeAll.immediate(writes);
    this.#onWritten = onWritten;
  }

  get size(): number {
    return this.#writes.size;
  }

  /**
   * Queues `write` under `key`, replacing a write queued under the same key. A write replacing a
   * batched one is batched (its waiters wait for it); one replacing a lazy one keeps its due time.
   */
  add(key: string, write: () => void, urgency: WriteUrgency): void {
    const earlier = this.#writes.get(key);
    this.#writes.delete(key); // re-inserted last: writes land in the order they were last queued
    let dueAtMs: number | null = null;
    if (urgency === 'lazy' && (earlier === undefined || earlier.dueAtMs !== null)) {
      dueAtMs = earlier?.dueAtMs ?? Date.now() + LAZY_WRITE_DELAY_MS;
    }
    this.#writes.set(key, { write, dueAtMs });
    if (dueAtMs === null) this.#scheduleBatch();
    else this.#scheduleLazy(dueAtMs);
  }

  /** Forgets the write queued under `key`, if any (the caller wrote something newer itself). */
  drop(key: string): void {
    this.#writes.delete(key);
  }

  /** Resolves once every batched write queued so far is in the file. */
  written(): Promise<void> {
    if (!this.#hasBatched()) return Promise.resolve();
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
    this.#flushDue(Number.POSITIVE_INFINITY);
  }

  /**
   * What the timers run: the batched writes, and the lazy ones that would come due before the next
   * batch could carry them, in one transaction. Throws as flush does.
   */
  writeDue(): void {
    this.#flushDue(Date.now() + BATCH_WINDOW_MS);
  }

  /** Stops the timers; what is still queued stays unwritten (call flush first to keep it). */
  dispose(): void {
    this.#cancelSchedules();
  }

  /** Writes the batched writes and the lazy ones due by `horizonMs`, in one transaction. */
  #flushDue(horizonMs: number): void {
    const dueKeys: string[] = [];
    const dueWrites: QueuedWrite[] = [];
    for (const [key, queued] of this.#writes) {
      if (queued.dueAtMs !== null && queued.dueAtMs > horizonMs) continue;
      dueKeys.push(key);
      dueWrites.push(queued);
    }
    if (dueWrites.length > 0) {
      try {
        this.#writeAll(dueWrites);
      } catch (error) {
        this.#settleWaiters(error);
        throw error;
      }
      // The transaction is synchronous: nothing was queued meanwhile, so these are the writes made.
      for (const key of dueKeys) this.#writes.delete(key);
    }
    this.#cancelSchedules();
    this.#rescheduleLazy();
    if (dueKeys.length > 0) this.#onWritten(dueKeys);
    this.#settleWaiters(null);
  }

  #hasBatched(): boolean {
    for (const queued of this.#writes.values()) if (queued.dueAtMs === null) return true;
    return false;
  }

  #settleWaiters(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  #scheduleBatch(): void {
    const full = this.#writes.size >= BATCH_MAX_WRITES;
    if (this.#batchTimer !== null && !full) return;
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    // Not unref'd: someone may wait for this write, so the process lives until it is made.
    this.#batchTimer = setTimeout(() => this.#onTimer(), full ? 0 : BATCH_WINDOW_MS);
  }

  /** A lazy write due at `dueAtMs` goes with the batch, if one is coming, or on its own timer. */
  #scheduleLazy(dueAtMs: number): void {
    if (this.#lazyTimer !== null || this.#batchTimer !== null) return;
    this.#lazyTimer = setTimeout(() => this.#onTimer(), Math.max(0, dueAtMs - Date.now()));
    this.#lazyTimer.unref();
  }

  /** After a commit that left lazy writes not due yet: a timer for the first of them. */
  #rescheduleLazy(): void {
    let firstDueAtMs = Number.POSITIVE_INFINITY;
    for (const queued of this.#writes.values()) {
      if (queued.dueAtMs !== null && queued.dueAtMs < firstDueAtMs) firstDueAtMs = queued.dueAtMs;
    }
    if (firstDueAtMs !== Number.POSITIVE_INFINITY) this.#scheduleLazy(firstDueAtMs);
  }

  #onTimer(): void {
    this.#cancelSchedules(); // whichever fired, the other one's writes go now too
    // A flush nobody called: its waiters hear of a failure, and the writes wait for the next try.
    try {
      this.writeDue();
    } catch {
      if (this.#writes.size > 0) this.#retryLater();
    }
  }

  #retryLater(): void {
    if (this.#lazyTimer !== null || this.#batchTimer !== null) return;
    this.#lazyTimer = setTimeout(() => this.#onTimer(), LAZY_WRITE_DELAY_MS);
    this.#lazyTimer.unref();
  }

  #cancelSchedules(): void {
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    if (this.#lazyTimer !== null) clearTimeout(this.#lazyTimer);
    this.#batchTimer = null;
    this.#lazyTimer = null;
  }
}
