// A sync root as the contract shows it: the row's settings, the live state, and counts read from
// the index (so a window, or `tierdrop sync --list` in another process, sees the same numbers).
import type { ErrorInfo, SyncProblem, SyncRootState, SyncRootView } from '../contract/index.js';
import type { SyncIndexStore, SyncRootRow } from '../journal/index.js';

export interface LiveRootState {
  state: SyncRootState;
  problems: readonly SyncProblem[];
  error: ErrorInfo | null;
}

const PROBLEMS_SHOWN = 20; // enough for a panel; the full story is in the log

export function rootView(row: SyncRootRow, index: SyncIndexStore, live: LiveRootState | null): SyncRootView {
  return {
    id: row.id,
    folder: row.folder,
    destination: row.destination,
    options: { deletions: row.deletions, followSymlinks: row.followSymlinks },
    state: live?.state ?? (row.paused ? 'paused' : 'stopped'),
    pendingCount: index.count(row.id, 'pending'),
    failedCount: index.count(row.id, 'failed'),
    lastSyncedAt: row.lastSyncedAt,
    errors: (live?.problems ?? []).slice(0, PROBLEMS_SHOWN),
    error: live?.error ?? null,
  };
}
