// The upload state machine: every state change goes through this table, so an impossible
// transition is a bug that surfaces at once instead of a transfer that silently misbehaves.
import type { TransferState } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';

const TRANSITIONS: Record<TransferState, readonly TransferState[]> = {
  // A file sent in one request has nothing to prepare but its read: it goes straight to uploading.
  queued: ['preparing', 'uploading', 'paused', 'cancelled', 'failed'],
  preparing: ['uploading', 'paused', 'cancelled', 'failed', 'queued'],
  uploading: ['completing', 'done', 'paused', 'cancelled', 'failed', 'queued'],
  paused: ['queued', 'cancelled', 'failed'],
  completing: ['committing', 'done', 'paused', 'cancelled', 'failed', 'queued'],
  // The commit cannot be undone once sent, but a stop before it lands is still a pause: the next
  // complete finds the parts assembled (or the tombstone written) and only commits.
  committing: ['done', 'paused', 'failed', 'queued'],
  failed: ['queued', 'cancelled'],
  done: [],
  cancelled: [],
};

/** States a worker is actively driving; after a crash, rows left in them are resumed. */
export const ACTIVE_STATES: readonly TransferState[] = ['preparing', 'uploading', 'completing', 'committing'];
/** States that will never change again. */
export const FINAL_STATES: readonly TransferState[] = ['done', 'cancelled'];
/** States `resume` picks up. */
export const UNFINISHED_STATES: readonly TransferState[] = ['queued', 'paused', ...ACTIVE_STATES];

export function canTransition(from: TransferState, to: TransferState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(from: TransferState, to: TransferState): void {
  if (!canTransition(from, to)) {
    throw new TierdropError('internal', `An upload cannot go from ${from} to ${to}.`);
  }
}
