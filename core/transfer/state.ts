// The upload state machine: every state change goes through this table, so an impossible
// transition is a bug that surfaces at once instead of a transfer that silently misbehaves.
import type { TransferState } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';

const TRANSITIONS: Record<TransferState, readonly TransferState[]> = {
  queued: ['preparing', 'paused', 'cancelled', 'failed'],
  preparing: ['uploading', 'paused', 'cancelled', 'failed', 'queued'],
  uploading: ['completing', 'done', 'paused', 'cancelled', 'failed', 'queued'],
  paused: ['queued', 'cancelled', 'failed'],
  completing: ['committing', 'done', 'paused', 'cancelled', 'failed', 'queued'],
  committing: ['done', 'failed', 'queued'],
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
