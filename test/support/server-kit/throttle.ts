// One byte budget for every connection of a server, so "it reads N bytes/s" holds however many
// bodies arrive at once. The rate is asked for on every call: a new fault plan applies mid-body.
import { setTimeout as sleep } from 'node:timers/promises';

/** Steps per second of throttled reading: small enough steps that progress looks smooth. */
const STEPS_PER_SEC = 20;

export class ByteThrottle {
  private nextFreeAtMs = 0;

  /** `bytesPerSec` answers undefined while there is no limit. */
  constructor(private readonly bytesPerSec: () => number | undefined) {}

  /** How many bytes to let through in one step. */
  sliceBytes(): number {
    const rate = this.bytesPerSec();
    return rate === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(rate / STEPS_PER_SEC));
  }

  /** Resolves once `bytes` fit in the budget; idle time earns no credit, so nothing comes in bursts. */
  async take(bytes: number): Promise<void> {
    const rate = this.bytesPerSec();
    if (rate === undefined) return;
    const nowMs = performance.now();
    this.nextFreeAtMs = Math.max(nowMs, this.nextFreeAtMs) + (bytes / rate) * 1000;
    const waitMs = this.nextFreeAtMs - nowMs;
    if (waitMs >= 1) await sleep(waitMs);
  }
}
