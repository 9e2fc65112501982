// The transfers slice's reducers: pure functions from (state, fact) to state. They only copy what
// core reported — a snapshot, an updated transfer, a batch of progress — and never derive states.
import { transferViewsOf, type TierdropEvent, type TransferProgress, type TransferView } from '../../core/contract/index.js';
import { isMoving } from '../logic/states.js';
import { recordThroughput, type ThroughputSample } from '../logic/throughput.js';

export interface TransfersState {
  transfers: ReadonlyMap<string, TransferView>;
  /** Ids in the order they were added (oldest first). */
  order: readonly string[];
  /**
   * Changes when the list's shape can change: a transfer added or removed, or one changing state
   * (filters and row heights depend on it). Progress alone leaves it as it is, so the rows of
   * 10,000 transfers are rebuilt a few times, not on every progress batch.
   */
  listRevision: number;
  throughput: readonly ThroughputSample[];
}

export const emptyTransfers: TransfersState = { transfers: new Map(), order: [], listRevision: 0, throughput: [] };

export function fromSnapshot(list: readonly TransferView[], previous: TransfersState): TransfersState {
  // Files added together share a millisecond; by key they come back in the order a folder lists them.
  const sorted = [...list].sort((a, b) => a.createdAt - b.createdAt || compareText(a.key, b.key) || compareText(a.id, b.id));
  return {
    transfers: new Map(sorted.map((transfer) => [transfer.id, transfer])),
    order: sorted.map((transfer) => transfer.id),
    listRevision: previous.listRevision + 1,
    throughput: previous.throughput, // the chart's history survives a reconnect
  };
}

/**
 * Folds a batch of events into the state with one copy of the map, however many events there are:
 * a burst of progress and state changes must not cost a copy per event.
 */
export function applyEvents(state: TransfersState, events: readonly TierdropEvent[], atMs: number): TransfersState {
  let transfers: Map<string, TransferView> | null = null;
  let added: string[] | null = null;
  let reshaped = false;
  let progressed = false;
  for (const event of events) {
    if (event.type === 'transfer.progress') {
      transfers ??= new Map(state.transfers);
      progressed = applyProgress(transfers, event.items) || progressed;
    } else {
      const views = transferViewsOf(event);
      // Other events (journal.recovered, sync.*) are facts for toasts and other slices, not transfer state.
      if (views.length === 0) continue;
      transfers ??= new Map(state.transfers);
      for (const view of views) {
        const known = transfers.get(view.id);
        if (!known) (added ??= []).push(view.id);
        else if (known.state !== view.state || known.key !== view.key) reshaped = true;
        transfers.set(view.id, view);
      }
    }
  }
  if (transfers === null) return state;
  return {
    transfers,
    order: added === null ? state.order : [...state.order, ...added],
    listRevision: added !== null || reshaped ? state.listRevision + 1 : state.listRevision,
    throughput: progressed ? recordThroughput(state.throughput, atMs, totalSpeed(transfers.values())) : state.throughput,
  };
}

export function applyEvent(state: TransfersState, event: TierdropEvent, atMs: number): TransfersState {
  return applyEvents(state, [event], atMs);
}

/** Copies core's numbers onto known transfers; items for transfers the window does not know are skipped. */
function applyProgress(transfers: Map<string, TransferView>, items: readonly TransferProgress[]): boolean {
  let changed = false;
  for (const item of items) {
    const current = transfers.get(item.id);
    if (!current) continue;
    transfers.set(item.id, {
      ...current,
      bytesDone: item.bytesDone,
      sizeBytes: item.sizeBytes,
      speedBytesPerSec: item.speedBytesPerSec,
      etaSeconds: item.etaSeconds,
    });
    changed = true;
  }
  return changed;
}

export function withoutTransfers(state: TransfersState, ids: readonly string[]): TransfersState {
  if (ids.length === 0) return state;
  const gone = new Set(ids);
  const transfers = new Map(state.transfers);
  for (const id of gone) transfers.delete(id);
  return { ...state, transfers, order: state.order.filter((id) => !gone.has(id)), listRevision: state.listRevision + 1 };
}

export function totalSpeed(transfers: Iterable<TransferView>): number {
  let sum = 0;
  for (const transfer of transfers) if (isMoving(transfer.state)) sum += transfer.speedBytesPerSec;
  return sum;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
