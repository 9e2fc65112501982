// The virtualized transfer list: only the rows in view are in the DOM, so 10,000 transfers scroll
// like ten. One row is "active" (roving tab stop); arrows move it, Space selects, Enter opens or
// closes a folder, Delete cancels the selection and Ctrl/Cmd+A selects everything shown.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { TransferView } from '../../core/contract/index.js';
import { buildRows, idsInRows, type Row } from '../logic/rows.js';
import { FILTER_LABELS } from '../logic/states.js';
import { EmptyState } from './EmptyState.js';
import { GroupRow } from './GroupRow.js';
import { SelectionBar } from './SelectionBar.js';
import { TransferRow } from './TransferRow.js';
import { useApp } from './context.js';

const TRANSFER_ROW_PX = 60; // two lines of text plus breathing room
const FAILED_ROW_PX = 96; // two lines of reason and one of what to do about it
const GROUP_ROW_PX = 48;
const OVERSCAN_ROWS = 8; // rows rendered beyond the viewport so fast scrolling never shows blanks

export function TransferList() {
  const { order, transfers, filter, search, collapsed, selection } = useApp(
    useShallow((state) => ({
      order: state.order,
      transfers: state.transfers,
      filter: state.filter,
      search: state.search,
      collapsed: state.collapsed,
      selection: state.selection,
    })),
  );
  const select = useApp((state) => state.select);
  const clearSelection = useApp((state) => state.clearSelection);
  const toggleGroup = useApp((state) => state.toggleGroup);
  const actOnSelection = useApp((state) => state.actOnSelection);
  const act = useApp((state) => state.act);

  const rows = useMemo(() => buildRows(order, transfers, { filter, search, collapsed }), [order, transfers, filter, search, collapsed]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const anchorIndex = useRef(0);
  const pendingFocus = useRef<number | null>(null);

  // Heights and keys are computed once per change of the rows, not per scroll frame: the virtualizer
  // re-measures every row whenever these callbacks change identity. A failed row is taller, and its
  // key changes with it so the virtualizer measures it again.
  const layout = useMemo(() => {
    const keys = rows.map((row, index) => rowKey(row, index, transfers));
    return { heights: rows.map((row) => rowHeight(row, transfers)), keys, signature: keys.join('\n') };
  }, [rows, transfers]);
  // Progress changes `transfers` ten times a second without changing any key: keep the old layout
  // (and the callbacks' identity) unless the keys really changed.
  const stableLayout = useRef(layout);
  if (stableLayout.current !== layout && stableLayout.current.signature !== layout.signature) stableLayout.current = layout;
  const signature = stableLayout.current.signature;
  const estimateSize = useCallback((index: number) => stableLayout.current.heights[index] ?? TRANSFER_ROW_PX, [signature]);
  const getItemKey = useCallback((index: number) => stableLayout.current.keys[index] ?? `missing-${index}`, [signature]);
  const getScrollElement = useCallback(() => scrollRef.current, []);

  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement, estimateSize, overscan: OVERSCAN_ROWS, getItemKey });

  const boundedActive = Math.min(activeIndex, Math.max(0, rows.length - 1));

  useEffect(() => {
    if (pendingFocus.current === null) return;
    const index = pendingFocus.current;
    pendingFocus.current = null;
    scrollRef.current?.querySelector<HTMLElement>(`[data-index="${index}"]`)?.focus({ preventScroll: true });
  });

  const moveTo = useCallback(
    (index: number) => {
      const next = Math.max(0, Math.min(rows.length - 1, index));
      setActiveIndex(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
      pendingFocus.current = next;
    },
    [rows.length, virtualizer],
  );

  const idsOf = useCallback((row: Row | undefined): string[] => (row === undefined ? [] : row.kind === 'group' ? row.group.ids : [row.id]), []);

  const onRowClick = useCallback(
    (index: number, event: MouseEvent) => {
      setActiveIndex(index);
      if (event.shiftKey) {
        const [from, to] = anchorIndex.current < index ? [anchorIndex.current, index] : [index, anchorIndex.current];
        select(idsInRows(rows.slice(from, to + 1).map((row) => (row.kind === 'group' ? { ...row, collapsed: true } : row))), 'replace');
        return;
      }
      anchorIndex.current = index;
      select(idsOf(rows[index]), event.metaKey || event.ctrlKey ? 'toggle' : 'replace');
    },
    [rows, select, idsOf],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const onRow = target.classList.contains('row');
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        moveTo(boundedActive + 1);
        return;
      case 'ArrowUp':
        event.preventDefault();
        moveTo(boundedActive - 1);
        return;
      case 'Home':
        event.preventDefault();
        moveTo(0);
        return;
      case 'End':
        event.preventDefault();
        moveTo(rows.length - 1);
        return;
      case ' ':
        if (!onRow) return;
        event.preventDefault();
        anchorIndex.current = boundedActive;
        select(idsOf(rows[boundedActive]), 'toggle');
        return;
      case 'Enter': {
        if (!onRow) return;
        const row = rows[boundedActive];
        if (row?.kind === 'group') {
          event.preventDefault();
          toggleGroup(row.group.id);
        }
        return;
      }
      case 'Delete':
      case 'Backspace':
        event.preventDefault();
        if (selection.size > 0) void actOnSelection('cancel');
        else void act('cancel', idsOf(rows[boundedActive]));
        return;
      case 'Escape':
        clearSelection();
        return;
      default:
        if ((event.key === 'a' || event.key === 'A') && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          select(idsInRows(rows), 'replace');
        }
    }
  };

  if (order.length === 0) return <EmptyState />;

  return (
    <section className="list" aria-label="Transfers">
      <SelectionBar rows={rows} />
      <div className="list-header" aria-hidden="true">
        <span className="cell cell-check" />
        <span className="cell cell-name">Name</span>
        <span className="cell cell-size">Size</span>
        <span className="cell cell-progress">Progress</span>
        <span className="cell cell-speed">Speed</span>
        <span className="cell cell-eta">Time left</span>
        <span className="cell cell-state">State</span>
        <span className="cell cell-actions" />
      </div>
      {rows.length === 0 ? (
        <div className="list-empty" role="status">
          {search.trim() !== '' ? `Nothing matches “${search.trim()}”.` : `No ${FILTER_LABELS[filter].toLowerCase()} transfers.`}
        </div>
      ) : (
        <div className="list-scroll" ref={scrollRef} onKeyDown={onKeyDown} data-testid="transfer-list">
          <div role="list" aria-label={`${rows.length.toLocaleString('en-US')} rows`} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              if (!row) return null;
              return (
                <div key={item.key} className="row-slot" style={{ transform: `translateY(${item.start}px)`, height: item.size }}>
                  {row.kind === 'group' ? (
                    <GroupRow
                      group={row.group}
                      collapsed={row.collapsed}
                      index={item.index}
                      active={item.index === boundedActive}
                      selected={row.group.ids.every((id) => selection.has(id))}
                      onRowClick={onRowClick}
                    />
                  ) : (
                    <TransferRow id={row.id} index={item.index} grouped={row.grouped} active={item.index === boundedActive} selected={selection.has(row.id)} onRowClick={onRowClick} />
                  )}
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}

function isFailedRow(row: Row | undefined, transfers: ReadonlyMap<string, TransferView>): boolean {
  return row?.kind === 'transfer' && transfers.get(row.id)?.state === 'failed';
}

function rowHeight(row: Row | undefined, transfers: ReadonlyMap<string, TransferView>): number {
  if (row?.kind === 'group') return GROUP_ROW_PX;
  return isFailedRow(row, transfers) ? FAILED_ROW_PX : TRANSFER_ROW_PX;
}

function rowKey(row: Row | undefined, index: number, transfers: ReadonlyMap<string, TransferView>): string {
  if (!row) return `missing-${index}`;
  if (row.kind === 'group') return `group:${row.group.id}`;
  return isFailedRow(row, transfers) ? `${row.id}:failed` : row.id;
}
