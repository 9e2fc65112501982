// Filters (All, Active, Queued, Done, Failed) as a tab-like segmented control, the search box, and
// Clear finished when looking at the history.
import { useMemo } from 'react';
import { FILTERS, FILTER_LABELS } from '../logic/states.js';
import { summarize } from '../logic/summary.js';
import { SearchIcon } from './icons.js';
import { useApp } from './context.js';

export function FilterBar() {
  const filter = useApp((state) => state.filter);
  const search = useApp((state) => state.search);
  const transfers = useApp((state) => state.transfers);
  const setFilter = useApp((state) => state.setFilter);
  const setSearch = useApp((state) => state.setSearch);
  const clearFinished = useApp((state) => state.clearFinished);
  const counts = useMemo(() => summarize(transfers.values()).counts, [transfers]);

  return (
    <div className="filterbar">
      <div className="segmented" role="radiogroup" aria-label="Show">
        {FILTERS.map((name) => (
          <button
            key={name}
            type="button"
            role="radio"
            aria-checked={filter === name}
            className={filter === name ? 'segment segment-on' : 'segment'}
            onClick={() => setFilter(name)}
          >
            {FILTER_LABELS[name]}
            <span className="segment-count">{counts[name].toLocaleString('en-US')}</span>
          </button>
        ))}
      </div>
      <div className="filterbar-right">
        {filter === 'done' && counts.done > 0 ? (
          <button type="button" className="button button-quiet" onClick={() => void clearFinished()}>
            Clear finished
          </button>
        ) : null}
        <label className="search">
          <SearchIcon />
          <input type="search" placeholder="Search names and keys" aria-label="Search transfers" value={search} onChange={(event) => setSearch(event.currentTarget.value)} />
        </label>
      </div>
    </div>
  );
}
