// What each transfer state means to the window: its chip label and tone, which filter shows it,
// and which actions a person may take on it. Core decides the states; this only reads them.
import type { TransferState } from '../../core/contract/index.js';

export type Filter = 'all' | 'active' | 'queued' | 'done' | 'failed';
export const FILTERS: readonly Filter[] = ['all', 'active', 'queued', 'done', 'failed'];
export const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  active: 'Active',
  queued: 'Queued',
  done: 'Done',
  failed: 'Failed',
};

export type Tone = 'neutral' | 'accent' | 'warning' | 'success' | 'danger' | 'muted';

const STATE_INFO: Record<TransferState, { label: string; tone: Tone; filter: Exclude<Filter, 'all'> }> = {
  queued: { label: 'Queued', tone: 'neutral', filter: 'queued' },
  preparing: { label: 'Preparing', tone: 'accent', filter: 'active' },
  uploading: { label: 'Uploading', tone: 'accent', filter: 'active' },
  paused: { label: 'Paused', tone: 'warning', filter: 'active' },
  completing: { label: 'Completing', tone: 'accent', filter: 'active' },
  committing: { label: 'Committing', tone: 'accent', filter: 'active' },
  done: { label: 'Done', tone: 'success', filter: 'done' },
  failed: { label: 'Failed', tone: 'danger', filter: 'failed' },
  cancelled: { label: 'Cancelled', tone: 'muted', filter: 'done' },
};

export function stateLabel(state: TransferState): string {
  return STATE_INFO[state].label;
}

export function stateTone(state: TransferState): Tone {
  return STATE_INFO[state].tone;
}

export function filterOf(state: TransferState): Exclude<Filter, 'all'> {
  return STATE_INFO[state].filter;
}

export function matchesFilter(state: TransferState, filter: Filter): boolean {
  return filter === 'all' || filterOf(state) === filter;
}

/** Moving bytes (or about to): the states whose speed counts towards the overall speed. */
export function isMoving(state: TransferState): boolean {
  return state === 'preparing' || state === 'uploading' || state === 'completing' || state === 'committing';
}

export function isFinished(state: TransferState): boolean {
  return state === 'done' || state === 'cancelled';
}

export const canPause = (state: TransferState): boolean => state === 'queued' || state === 'preparing' || state === 'uploading';
export const canResume = (state: TransferState): boolean => state === 'paused';
export const canCancel = (state: TransferState): boolean => !isFinished(state);
export const canRetry = (state: TransferState): boolean => state === 'failed';

export type BulkAction = 'pause' | 'resume' | 'cancel' | 'retry';
const ELIGIBLE: Record<BulkAction, (state: TransferState) => boolean> = {
  pause: canPause,
  resume: canResume,
  cancel: canCancel,
  retry: canRetry,
};

/** The ids among `ids` an action applies to, so a bulk command never asks core for the impossible. */
export function eligibleIds(action: BulkAction, ids: Iterable<string>, stateOf: (id: string) => TransferState | undefined): string[] {
  const eligible: string[] = [];
  for (const id of ids) {
    const state = stateOf(id);
    if (state !== undefined && ELIGIBLE[action](state)) eligible.push(id);
  }
  return eligible;
}
