// A dropped folder: collapsible, with its files' combined progress and counts. The list hands it
// the folder's members; the totals are read live, so progress re-renders this row and no other.
import { memo, useMemo, type MouseEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { TransferView } from '../../core/contract/index.js';
import { formatBytes, formatCount, percentDone } from '../logic/format.js';
import { groupProgress, type GroupProgress, type GroupSummary } from '../logic/rows.js';
import type { AppState } from '../store/index.js';
import { ChevronIcon, FolderIcon } from './icons.js';
import { useApp } from './context.js';

export interface GroupRowProps {
  group: GroupSummary;
  collapsed: boolean;
  index: number;
  active: boolean;
  selected: boolean;
  onRowClick(index: number, event: MouseEvent): void;
}

export const GroupRow = memo(function GroupRow({ group, collapsed, index, active, selected, onRowClick }: GroupRowProps) {
  const toggleGroup = useApp((state) => state.toggleGroup);
  const select = useApp((state) => state.select);
  // Summed again only when the transfers change, not for every other change of the store.
  const selectProgress = useMemo(() => {
    let seen: ReadonlyMap<string, TransferView> | null = null;
    let last: GroupProgress = group;
    return (state: AppState): GroupProgress => {
      if (state.transfers !== seen) {
        seen = state.transfers;
        last = groupProgress(group.ids, seen);
      }
      return last;
    };
  }, [group]);
  const live = useApp(useShallow(selectProgress));
  const percent = percentDone(live.bytesDone, live.sizeBytes);
  const tabIndex = active ? 0 : -1;
  const parts = [`${live.done} of ${formatCount(group.ids.length, 'file')} done`];
  if (live.failed > 0) parts.push(`${live.failed} failed`);

  return (
    <div
      className={`row row-group${selected ? ' row-selected' : ''}`}
      role="listitem"
      aria-label={`Folder ${group.name}, ${parts.join(', ')}`}
      aria-expanded={!collapsed}
      data-group={group.name}
      data-index={index}
      tabIndex={tabIndex}
      onClick={(event) => onRowClick(index, event)}
    >
      <span className="cell cell-check">
        <input type="checkbox" checked={selected} tabIndex={tabIndex} aria-label={`Select folder ${group.name}`} onClick={(event) => event.stopPropagation()} onChange={() => select(group.ids, 'toggle')} />
      </span>
      <span className="cell cell-name">
        <button
          type="button"
          className="group-toggle"
          tabIndex={tabIndex}
          aria-label={`${collapsed ? 'Expand' : 'Collapse'} folder ${group.name}`}
          onClick={(event) => {
            event.stopPropagation();
            toggleGroup(group.id);
          }}
        >
          <ChevronIcon open={!collapsed} />
        </button>
        <FolderIcon />
        <span className="row-name">{group.name}</span>
        <span className="group-meta">{parts.join(' · ')}</span>
      </span>
      <span className="cell cell-size">{formatBytes(live.sizeBytes)}</span>
      <span className="cell cell-progress">
        <span className={`progress ${live.failed > 0 ? 'progress-danger' : live.done === group.ids.length ? 'progress-success' : 'progress-accent'}`} role="progressbar" aria-label={`Folder ${group.name} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
          <span key={group.id} className="progress-fill" style={{ width: `${percent}%` }} />
        </span>
        <span className="progress-percent">{percent}%</span>
      </span>
      <span className="cell cell-speed" />
      <span className="cell cell-eta" />
      <span className="cell cell-state" />
      <span className="cell cell-actions" />
    </div>
  );
});
