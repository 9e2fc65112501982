// The virtualized transfer list: only the rows in view are in the DOM, so 10,000 transfers scroll
// like ten. The rows are rebuilt only when the list's shape changes (transfers added or removed, a
// state changed), never for progress: each row follows its own transfer. One row is "active" (roving
// tab stop); arrows move it, Space selects, Enter opens or closes a folder, Delete cancels the
// selection and Ctrl/Cmd+A selects everything shown.
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
import { useApp, useAppStore } from './context.js';

const TRANSFER_ROW_PX = 60; // two lines of text plus breathing room
const FAILED_ROW_PX = 96; // two lines of reason and one of what to do about it
const GROUP_ROW_PX = 48;
const OVERSCAN_ROWS = 8; // rows rendered beyond the viewport so fast scrolling never shows blanks
const MIN_SLOTS = 64; // more row slots than a tall window shows, so the modulus rarely changes

export function TransferList() {
  const { order, listRevision, filter, search, collapsed, selection } = useApp(
    useShallow((state) => ({
      order: state.order,
      listRevision: state.listRevision,
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

  const store = useAppStore();
  // Rows, heights and keys together, once per change of the list's shape: `listRevision` moves
  // whenever a transfer's state does, so the transfers read here are current for all three.
  const layout = useMemo(() => {
    const transfers = store.getState().transfers;
    const built = buildRows(order, transfers, { filter, search, collapsed });
    return { rows: built, heights: built.map((row) => rowHeight(row, transfers)), keys: built.map((row, index) => rowKey(row, index, transfers)) };
  }, [store, order, listRevision, filter, search, collapsed]);
  const rows = layout.rows;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const anchorIndex = useRef(0);
  const pendingFocus = useRef<number | null>(null);

  // The virtualizer recomputes every offset when these change identity, so they follow the layout.
  const estimateSize = useCallback((index: number) => layout.heights[index] ?? TRANSFER_ROW_PX, [layout]);
  const getItemKey = useCallback((index: number) => layout.keys[index] ?? `missing-${index}`, [layout]);
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
      pendingFocus.current = index; // the clicked row becomes the active one, under a new key
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
  const virtualItems = virtualizer.getVirtualItems();
  const slots = slotCount(virtualItems.length);

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
            {virtualItems.map((item) => {
              const row = rows[item.index];
              if (!row) return null;
              return (
                <div key={slotKey(item.index, item.key, boundedActive, slots)} className="row-slot" style={{ transform: `translateY(${item.start}px)`, height: item.size, contain: 'strict' }}>
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

/**
 * Rows are recycled by slot while scrolling: the row scrolled out hands its DOM to the row scrolled
 * in, which patches a few texts and attributes instead of building and removing a whole subtree
 * every frame. Slots in view never collide (there are more slots than rows in view). The active
 * row keeps its own key, so the element with the keyboard focus always shows the same transfer.
 */
function slotKey(index: number, key: string | number | bigint, activeIndex: number, slots: number): string {
  return index === activeIndex ? `active:${String(key)}` : `slot:${index % slots}`;
}

function slotCount(rowsInView: number): number {
  let slots = MIN_SLOTS;
  while (slots <= rowsInView) slots *= 2;
  return slots;
}
