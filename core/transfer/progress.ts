// Progress of one upload as a person sees it: monotonic bytes (acknowledged + live in-flight),
// speed smoothed by an exponential moving average, and an ETA derived from both.
const SPEED_HALF_LIFE_MS = 3_000; // long enough to calm jitter, short enough to follow a real change

export class ProgressMeter {
  private acknowledgedBytes: number;
  private readonly inFlightBytes = new Map<number, number>();
  private reportedBytes: number;
  private speedBytesPerSec = 0;
  private lastSampleMs: number | null = null;
  private lastSampleBytes: number;

  constructor(
    readonly sizeBytes: number,
    acknowledgedBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.acknowledgedBytes = acknowledgedBytes;
    this.reportedBytes = acknowledgedBytes;
    this.lastSampleBytes = acknowledgedBytes;
  }

  /** Bytes of a live request so far (called as the body is read). */
  setInFlight(requestId: number, bytes: number): void {
    this.inFlightBytes.set(requestId, bytes);
  }

  /** The request ended: its bytes count only if the store acknowledged them. */
  settle(requestId: number, acknowledgedBytes: number): void {
    this.inFlightBytes.delete(requestId);
    this.acknowledgedBytes += acknowledgedBytes;
  }

  get bytesDone(): number {
    let live = this.acknowledgedBytes;
    for (const bytes of this.inFlightBytes.values()) live += bytes;
    this.reportedBytes = Math.min(this.sizeBytes, Math.max(this.reportedBytes, live));
    return this.reportedBytes;
  }

  /** Takes a speed sample; call on a steady tick. */
  sample(): void {
    const nowMs = this.now();
    const bytes = this.bytesDone;
    if (this.lastSampleMs !== null && nowMs > this.lastSampleMs) {
      const instant = ((bytes - this.lastSampleBytes) * 1000) / (nowMs - this.lastSampleMs);
      const weight = 1 - 0.5 ** ((nowMs - this.lastSampleMs) / SPEED_HALF_LIFE_MS);
      this.speedBytesPerSec = this.speedBytesPerSec === 0 ? instant : this.speedBytesPerSec + weight * (instant - this.speedBytesPerSec);
    }
    this.lastSampleMs = nowMs;
    this.lastSampleBytes = bytes;
  }

  get speed(): number {
    return Math.max(0, this.speedBytesPerSec);
  }

  get etaSeconds(): number | null {
    const remaining = this.sizeBytes - this.bytesDone;
    if (remaining <= 0) return 0;
    return this.speed > 1 ? remaining / this.speed : null;
  }
}
