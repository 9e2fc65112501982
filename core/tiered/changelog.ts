// The durable changelog of one tiered destination, after objectstore's ChangeManager: a change is
// recorded before its first side effect, advanced phase by phase, and removed once cleaned up.
// Cleanup (and recovery, which is the same cleanup with the phase unknown) is garbage collection:
// it reads the tombstone back and deletes whichever of the old and new revisions it does not name.
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import type { HighVolumeBackend, MultipartUploadBackend } from '../backends/index.js';
import { TierdropError, isTierdropError } from '../errors/index.js';
import type { ChangePhase, ChangeRow, ChangeStore } from '../journal/index.js';
import { withBackoff } from './backoff.js';
import { crashPoint } from './crash-point.js';
import { currentRevision } from './entries.js';
import type { TieredLayout } from './layout.js';

/** At start a store may be down; recovery tries each change this often, then leaves it for next time. */
const RECOVERY_ATTEMPTS = 6;
/**
 * A request its client gave up on (stalled, paused, answer lost) can still take effect: a store
 * holding the whole body commits it a moment later. Cleanup after a failed request waits this long
 * before deciding what to delete, or a late write could land after the delete (issue 4).
 */
export const LATE_WRITE_WINDOW_MS = 3_000;
/** A previous process's requests ended no later than this process started. */
const PROCESS_STARTED_AT_MS = Math.floor(performance.timeOrigin);

export interface ChangelogOptions {
  destination: string;
  store: ChangeStore;
  hv: HighVolumeBackend;
  lt: MultipartUploadBackend;
  layout: TieredLayout;
  /** Whether a live upload in the journal still owns this multipart change (it will complete or abort it). */
  isOwned: (change: ChangeRow) => boolean;
}

export interface RecoveryReport {
  cleaned: number;
  /** Changes a resumable upload still owns. */
  kept: number;
  /** Changes whose cleanup failed; they stay for the next start. */
  left: number;
}

export class Changelog {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: ChangelogOptions) {}

  record(change: Pick<ChangeRow, 'key' | 'oldRevision' | 'newRevision' | 'ltUploadId' | 'phase'>): ChangeRow {
    return this.options.store.record({ id: uuidv7(), destination: this.options.destination, ...change });
  }

  advance(change: ChangeRow, phase: ChangePhase, patch: Partial<Pick<ChangeRow, 'oldRevision' | 'ltUploadId'>> = {}): ChangeRow {
    return this.options.store.update(change, { ...patch, phase });
  }

  /**
   * Like advance, with the journal's next batch: for the phases after the commit's outcome is known
   * (Updated, Lost). Recovery reads the tombstone back whatever the row says, so a crash that loses
   * this write only makes it look at the store again; the removal that follows replaces it.
   */
  advanceLazily(change: ChangeRow, phase: 'updated' | 'lost'): ChangeRow {
    return this.options.store.updateLazily(change, { phase });
  }

  forRevision(key: string, revision: string): ChangeRow | null {
    return this.options.store.forRevision(this.options.destination, key, revision);
  }

  /**
   * The commit's outcome is known: when it leaves nothing to delete (a new revision that won over
   * no old one), the row goes at once instead of being advanced first, saving a journal write.
   * Otherwise the phase is advanced lazily: until it lands, the row still says Written, and a
   * recovery from Written reads the tombstone back to the same decision.
   */
  async settle(change: ChangeRow, outcome: 'written' | 'conflict', crashPrefix: string): Promise<void> {
    const phase = outcome === 'written' ? 'updated' : 'lost';
    if (phase === 'updated' && change.oldRevision === null) {
      crashPoint(`${crashPrefix}.updated`);
      crashPoint(`${crashPrefix}.cleaned`);
      this.options.store.remove(change.id);
      return;
    }
    const advanced = this.advanceLazily(change, phase);
    crashPoint(`${crashPrefix}.${phase}`);
    await this.finish(advanced, phase, crashPrefix);
  }

  /**
   * Cleans up after `change` as of `phase`, inline: used on the success paths, where the caller
   * waits for the replaced revision to go before it reports the write done.
   */
  async finish(change: ChangeRow, phase: ChangePhase, crashPrefix: string): Promise<void> {
    const cleaned = await withBackoff(() => this.cleanOnce(change, phase), this.stopping.signal);
    if (!cleaned) return; // shutting down: the row stays, and the next start finishes it
    crashPoint(`${crashPrefix}.cleaned`);
    this.options.store.remove(change.id);
  }

  /**
   * Like finish, in the background: used when an operation fails part way (ChangeGuard's drop).
   * The request that failed may still land, so the cleanup starts once the late-write window has
   * closed, checks that what it deleted stays deleted, and only then forgets the change.
   */
  abandon(change: ChangeRow, phase: ChangePhase): void {
    const windowClosesAtMs = Date.now() + LATE_WRITE_WINDOW_MS;
    const task = (async () => {
      // Not cut short by dispose: the wait is bounded, and a cleanup before it ends may be undone.
      await sleepUntil(windowClosesAtMs);
      // After dispose one attempt still runs; if it fails, the row stays for the next start.
      const cleaned = this.stopping.signal.aborted
        ? await this.cleanOnce(change, phase, true).then(
            () => true,
            () => false,
          )
        : await withBackoff(() => this.cleanOnce(change, phase, true), this.stopping.signal);
      if (cleaned) this.options.store.remove(change.id);
    })().finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Finishes or undoes every change a previous process left behind, deciding from the tombstone. */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { cleaned: 0, kept: 0, left: 0 };
    for (const change of this.options.store.list(this.options.destination)) {
      if (await this.stillAssembling(change)) {
        report.kept += 1;
        continue;
      }
      // The process that left this change may have died moments ago with requests on the wire.
      await sleepUntil(PROCESS_STARTED_AT_MS + LATE_WRITE_WINDOW_MS);
      const cleaned = await withBackoff(() => this.cleanOnce(change, 'recovered', true), this.stopping.signal, RECOVERY_ATTEMPTS);
      if (cleaned) {
        this.options.store.remove(change.id);
        report.cleaned += 1;
      } else {
        this.options.store.update(change, { attempts: change.attempts + 1, nextAttemptAt: Date.now() });
        report.left += 1;
      }
    }
    return report;
  }

  /** Stops background cleanups (their changes stay recorded) once they have had a moment to finish. */
  async dispose(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.pending]);
  }

  /**
   * A multipart change held by a resumable upload in the journal belongs to that upload while its
   * parts are still open in LT or already assembled there: cleaning it up would race the engine's
   * retry of complete (objectstore defers Assembling changes for the same reason). The engine
   * finishes it (complete is idempotent) or aborts it (cancel).
   */
  private async stillAssembling(change: ChangeRow): Promise<boolean> {
    if (change.phase !== 'assembling' && change.phase !== 'written') return false;
    if (change.ltUploadId === null || change.newRevision === null || !this.options.isOwned(change)) return false;
    const ltKey = this.options.layout.revisionKey(change.key, change.newRevision);
    try {
      await this.options.lt.listParts(ltKey, change.ltUploadId);
      return true;
    } catch (error) {
      if (!isTierdropError(error, 'not_found')) return true; // the store is unreachable: decide next time
    }
    // The upload is gone: assembled (the engine's complete goes straight to the commit) or aborted.
    try {
      return (await this.options.lt.head(ltKey)) !== null;
    } catch {
      return true;
    }
  }

  /**
   * One pass of cleanup. With `verify`, a deleted revision is looked up again: one that is back was
   * written late, and the pass fails so that the change stays and the next pass deletes it again.
   */
  private async cleanOnce(change: ChangeRow, phase: ChangePhase, verify = false): Promise<void> {
    const current = await this.referenced(change, phase);
    const deleted: string[] = [];
    if (change.oldRevision !== null && current !== change.oldRevision) {
      deleted.push(await this.deleteRevision(change.key, change.oldRevision, null, false));
    }
    if (change.newRevision !== null && current !== change.newRevision) {
      deleted.push(await this.deleteRevision(change.key, change.newRevision, change.ltUploadId, true));
    }
    if (!verify) return;
    for (const ltKey of deleted) {
      if ((await this.options.lt.head(ltKey)) !== null) {
        throw new TierdropError('store_error', `${ltKey} was written again after its cleanup deleted it.`, { retryable: true });
      }
    }
  }

  /** The revision the tombstone names as of `phase`; read back when the CAS outcome is unknown. */
  private async referenced(change: ChangeRow, phase: ChangePhase): Promise<string | null> {
    switch (phase) {
      case 'recorded':
      case 'assembling':
      case 'lost':
        return change.oldRevision;
      case 'updated':
        return change.newRevision;
      case 'written':
      case 'recovered':
      case 'completed':
        return currentRevision(this.options.hv, change.key);
    }
  }

  /** Deletes an unreferenced revision, and the multipart upload that was assembling it, if any; answers its LT key. */
  private async deleteRevision(key: string, revision: string, ltUploadId: string | null, mayBeAssembling: boolean): Promise<string> {
    const ltKey = this.options.layout.revisionKey(key, revision);
    if (mayBeAssembling) {
      if (ltUploadId !== null) {
        await this.options.lt.abort(ltKey, ltUploadId);
      } else {
        // Crashed between recording the change and learning the upload id: find it by its key.
        for await (const upload of this.options.lt.listUploads(ltKey)) {
          if (upload.key === ltKey) await this.options.lt.abort(ltKey, upload.uploadId);
        }
      }
    }
    await this.options.lt.delete(ltKey);
    return ltKey;
  }
}

async function sleepUntil(atMs: number): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
}
