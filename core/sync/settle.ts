// Waits for files to stop changing before they are uploaded: a path is settled once no watcher
// event came for it and its size and mtime stayed the same for the whole settle period.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

interface Tracked {
  lastEventAtMs: number;
  signature: string | null;
  stableSinceMs: number;
}

export class SettleTracker {
  readonly #tracked = new Map<string, Tracked>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | null = null;
  #checking = false;
  #disposed = false;

  constructor(
    private readonly folder: string,
    private readonly settleMs: number,
    private readonly onSettled: (localPath: string) => void,
  ) {
    // Checking four times per period notices a settled file within a quarter period of the ideal.
    this.#tickMs = Math.max(25, Math.floor(settleMs / 4));
  }

  get size(): number {
    return this.#tracked.size;
  }

  /** Something happened at `localPath` (relative to the root): its settle period starts again. */
  touch(localPath: string): void {
    if (this.#disposed) return;
    const nowMs = Date.now();
    const tracked = this.#tracked.get(localPath);
    if (tracked) tracked.lastEventAtMs = nowMs;
    else this.#tracked.set(localPath, { lastEventAtMs: nowMs, signature: null, stableSinceMs: nowMs });
    this.#timer ??= setInterval(() => void this.#tick(), this.#tickMs);
  }

  dispose(): void {
    this.#disposed = true;
    this.#tracked.clear();
    this.#stopTimer();
  }

  async #tick(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const nowMs = Date.now();
      for (const [localPath, tracked] of [...this.#tracked]) {
        if (this.#disposed) return;
        const signature = await signatureOf(join(this.folder, localPath));
        if (signature !== tracked.signature) {
          tracked.signature = signature;
          tracked.stableSinceMs = nowMs;
          continue;
        }
        if (nowMs - tracked.stableSinceMs >= this.settleMs && nowMs - tracked.lastEventAtMs >= this.settleMs) {
          this.#tracked.delete(localPath);
          this.onSettled(localPath);
        }
      }
    } finally {
      this.#checking = false;
      if (this.#tracked.size === 0) this.#stopTimer();
    }
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** Size and mtime, 'gone' when missing, 'unknown' when it cannot be stat'ed (it settles as is). */
async function signatureOf(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true });
    return `${info.size}:${info.mtimeNs}:${info.ino}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'gone' : 'unknown';
  }
}
