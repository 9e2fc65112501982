// One byte budget shared by every connection, so "the server reads N bytes/s" holds however many
// uploads run at once; the rate is read on every call, so a new fault plan applies mid-body.
import { setTimeout as sleep } from 'node:timers/promises';

export class ByteThrottle {
  private nextFreeAtMs = 0;

  constructor(private readonly bytesPerSec: () => number | undefined) {}

  /** About 50 ms worth of bytes per step, so progress stays smooth. */
  sliceBytes(): number {
    const rate = this.bytesPerSec();
    return rate === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(rate / 20));
  }

  /** Resolves once `bytes` fit in the budget; idle time earns no credit, so there are no bursts. */
  async take(bytes: number): Promise<void> {
    const rate = this.bytesPerSec();
    if (rate === undefined) return;
    const nowMs = performance.now();
    this.nextFreeAtMs = Math.max(nowMs, this.nextFreeAtMs) + (bytes / rate) * 1000;
    const waitMs = this.nextFreeAtMs - nowMs;
    if (waitMs >= 1) await sleep(waitMs);
  }
}
