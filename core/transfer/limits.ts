// Shared budgets: a FIFO semaphore for parts in flight across all files, and a token bucket
// for the optional bandwidth limit.
import { abortReason, sleep } from './retry.js';

export class Semaphore {
  private available: number;
  private readonly waiters: Array<{ grant: () => void; signal: AbortSignal | undefined }> = [];

  constructor(private capacity: number) {
    this.available = capacity;
  }

  /** Resolves with a release function once a slot is free; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.available > 0 && this.waiters.length === 0) {
      this.available -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Changes the number of slots; extra holders finish normally, new slots are granted at once. */
  resize(capacity: number): void {
    this.available += capacity - this.capacity;
    this.capacity = capacity;
    this.drain();
  }

  get inUse(): number {
    return this.capacity - this.available;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += 1;
      this.drain();
    };
  }

  private drain(): void {
    while (this.available > 0 && this.waiters.length > 0) {
      const next = this.waiters.shift();
      if (!next) break;
      this.available -= 1;
      next.grant();
    }
  }
}

/** Bytes per second shared by every request; 0 disables it. */
export class TokenBucket {
  private tokens = 0;
  private lastRefillMs = Date.now();

  constructor(private bytesPerSec: number) {
    this.tokens = bytesPerSec;
  }

  setRate(bytesPerSec: number): void {
    this.bytesPerSec = bytesPerSec;
    this.tokens = Math.min(this.tokens, bytesPerSec);
  }

  get enabled(): boolean {
    return this.bytesPerSec > 0;
  }

  /** Waits until `bytes` may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    while (this.enabled) {
      this.refill();
      if (this.tokens >= Math.min(bytes, this.bytesPerSec)) {
        this.tokens -= bytes;
        return;
      }
      const missing = Math.min(bytes, this.bytesPerSec) - this.tokens;
      await sleep(Math.max(5, Math.ceil((missing / this.bytesPerSec) * 1000)), signal);
    }
  }

  private refill(): void {
    const nowMs = Date.now();
    // One second of burst at most, so a pause does not store up a flood.
    this.tokens = Math.min(this.bytesPerSec, this.tokens + ((nowMs - this.lastRefillMs) / 1000) * this.bytesPerSec);
    this.lastRefillMs = nowMs;
  }
}
