// What can be done to the selected transfers, shown only while something is selected.
import { useMemo, type ComponentType } from 'react';
import type { Row } from '../logic/rows.js';
import { eligibleIds, type BulkAction } from '../logic/states.js';
import { idsInRows } from '../logic/rows.js';
import { CloseIcon, PauseIcon, PlayIcon, RetryIcon } from './icons.js';
import { useApp } from './context.js';

const BULK: Array<{ action: BulkAction; label: string; icon: ComponentType }> = [
  { action: 'pause', label: 'Pause', icon: PauseIcon },
  { action: 'resume', label: 'Resume', icon: PlayIcon },
  { action: 'retry', label: 'Retry', icon: RetryIcon },
  { action: 'cancel', label: 'Cancel', icon: CloseIcon },
];

export function SelectionBar({ rows }: { rows: readonly Row[] }) {
  const selection = useApp((state) => state.selection);
  const transfers = useApp((state) => state.transfers);
  const select = useApp((state) => state.select);
  const clearSelection = useApp((state) => state.clearSelection);
  const actOnSelection = useApp((state) => state.actOnSelection);
  const eligible = useMemo(() => {
    const stateOf = (id: string) => transfers.get(id)?.state;
    return Object.fromEntries(BULK.map(({ action }) => [action, eligibleIds(action, selection, stateOf).length])) as Record<BulkAction, number>;
  }, [selection, transfers]);
  if (selection.size === 0) return null;
  const all = idsInRows(rows);

  return (
    <div className="selection-bar" role="toolbar" aria-label="Selected transfers">
      <span className="selection-count">
        <strong>{selection.size.toLocaleString('en-US')}</strong> selected
      </span>
      {selection.size < all.length ? (
        <button type="button" className="button button-quiet" onClick={() => select(all, 'replace')}>
          Select all {all.length.toLocaleString('en-US')}
        </button>
      ) : null}
      <span className="selection-actions">
        {BULK.map(({ action, label, icon: Icon }) => (
          <button key={action} type="button" className="button" disabled={eligible[action] === 0} onClick={() => void actOnSelection(action)}>
            <Icon /> {label}
            {eligible[action] > 0 && eligible[action] !== selection.size ? <span className="button-count">{eligible[action]}</span> : null}
          </button>
        ))}
        <button type="button" className="button button-quiet" onClick={clearSelection}>
          Deselect
        </button>
      </span>
    </div>
  );
}
