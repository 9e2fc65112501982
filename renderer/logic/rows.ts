// Turning the transfer map into the rows the list shows: filtered, searched, and with files that
// came from one dropped folder gathered under a collapsible group row, in the order they were added.
import type { TransferView } from '../../core/contract/index.js';
import { relativeKey } from './destination.js';
import { matchesFilter, type Filter } from './states.js';

export interface GroupSummary {
  id: string;
  /** The dropped folder's name. */
  name: string;
  destination: string;
  ids: string[];
  sizeBytes: number;
  bytesDone: number;
  done: number;
  failed: number;
  active: number;
}

export type Row = { kind: 'group'; group: GroupSummary; collapsed: boolean } | { kind: 'transfer'; id: string; grouped: boolean };

export interface RowQuery {
  filter: Filter;
  search: string;
  collapsed: ReadonlySet<string>;
}

/** The dropped folder a key came from ('' for a file dropped on its own). */
export function topFolder(key: string, destinationUrl: string): string {
  const relative = relativeKey(key, destinationUrl);
  const slash = relative.indexOf('/');
  return slash > 0 ? relative.slice(0, slash) : '';
}

export function groupIdOf(transfer: Pick<TransferView, 'key' | 'destination'>): string | null {
  const folder = topFolder(transfer.key, transfer.destination);
  return folder === '' ? null : `${transfer.destination}\n${folder}`;
}

export function matchesSearch(transfer: TransferView, needle: string): boolean {
  if (needle === '') return true;
  return transfer.key.toLowerCase().includes(needle) || transfer.sourcePath.toLowerCase().includes(needle);
}

/**
 * The visible rows, given transfers in the order they were added. A group row stands where its
 * first member would; a group with a single visible file still shows as a group, as it was dropped.
 */
export function buildRows(order: readonly string[], transfers: ReadonlyMap<string, TransferView>, query: RowQuery): Row[] {
  const needle = query.search.trim().toLowerCase();
  const groups = new Map<string, GroupSummary>();
  const sequence: Array<{ groupId: string } | { id: string }> = [];
  for (const id of order) {
    const transfer = transfers.get(id);
    if (!transfer || !matchesFilter(transfer.state, query.filter) || !matchesSearch(transfer, needle)) continue;
    const groupId = groupIdOf(transfer);
    if (groupId === null) {
      sequence.push({ id });
      continue;
    }
    let group = groups.get(groupId);
    if (!group) {
      group = {
        id: groupId,
        name: topFolder(transfer.key, transfer.destination),
        destination: transfer.destination,
        ids: [],
        sizeBytes: 0,
        bytesDone: 0,
        done: 0,
        failed: 0,
        active: 0,
      };
      groups.set(groupId, group);
      sequence.push({ groupId });
    }
    group.ids.push(id);
    group.sizeBytes += transfer.sizeBytes;
    group.bytesDone += Math.min(transfer.bytesDone, transfer.sizeBytes);
    if (transfer.state === 'done') group.done += 1;
    else if (transfer.state === 'failed') group.failed += 1;
    else if (transfer.state !== 'cancelled' && transfer.state !== 'queued') group.active += 1;
  }
  const rows: Row[] = [];
  for (const entry of sequence) {
    if ('id' in entry) {
      rows.push({ kind: 'transfer', id: entry.id, grouped: false });
      continue;
    }
    const group = groups.get(entry.groupId);
    if (!group) continue;
    const collapsed = query.collapsed.has(group.id);
    rows.push({ kind: 'group', group, collapsed });
    if (!collapsed) for (const id of group.ids) rows.push({ kind: 'transfer', id, grouped: true });
  }
  return rows;
}

/** Transfer ids the rows show or hold (a collapsed group's members count), for Select all. */
export function idsInRows(rows: readonly Row[]): string[] {
  const ids: string[] = [];
  for (const row of rows) {
    if (row.kind === 'group') {
      if (row.collapsed) ids.push(...row.group.ids);
    } else {
      ids.push(row.id);
    }
  }
  return ids;
}

export interface GroupProgress {
  sizeBytes: number;
  bytesDone: number;
  done: number;
  failed: number;
}

/** A group's live totals: its rows are built once, its bar follows every progress batch. */
export function groupProgress(ids: readonly string[], transfers: ReadonlyMap<string, TransferView>): GroupProgress {
  const progress: GroupProgress = { sizeBytes: 0, bytesDone: 0, done: 0, failed: 0 };
  for (const id of ids) {
    const transfer = transfers.get(id);
    if (!transfer) continue;
    progress.sizeBytes += transfer.sizeBytes;
    progress.bytesDone += Math.min(transfer.bytesDone, transfer.sizeBytes);
    if (transfer.state === 'done') progress.done += 1;
    else if (transfer.state === 'failed') progress.failed += 1;
  }
  return progress;
}
