// The top bar: the app's name, the destination picker (name, kind, tiered or direct), Add files,
// Add folder and the settings button.
import { useShallow } from 'zustand/react/shallow';
import { describeDestinationUrl } from '../logic/destination.js';
import { selectDestinations } from '../store/selectors.js';
import { FolderIcon, GearIcon, PlusFileIcon } from './icons.js';
import { useApp } from './context.js';
import { usePickers } from './Pickers.js';
import { SyncButton } from './SyncPanel.js';

export function TopBar() {
  const { destinations, destinationId, chooseDestination, openSettings } = useApp(
    useShallow((state) => ({
      destinations: selectDestinations(state),
      destinationId: state.destinationId,
      chooseDestination: state.chooseDestination,
      openSettings: state.openSettings,
    })),
  );
  const { pickFiles, pickFolder } = usePickers();
  const current = destinations.find((destination) => destination.id === destinationId) ?? null;
  const info = current ? describeDestinationUrl(current.url) : null;

  return (
    <header className="topbar">
      <div className="brand" aria-label="Tierdrop">
        <span className="brand-mark" aria-hidden="true" />
        Tierdrop
      </div>
      <div className="destination-picker">
        <span className="destination-caption">Upload to</span>
        <div className="destination-display" title={current?.url}>
          <span className="destination-name">{current ? current.name : 'No destination'}</span>
          {info ? (
            <>
              <span className={`badge badge-${info.kind}`}>{info.kindLabel}</span>
              <span className="badge badge-mode">{info.mode === 'tiered' ? 'Tiered' : 'Direct'}</span>
            </>
          ) : null}
          <svg className="destination-caret" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M3 4.5l3 3 3-3" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
          </svg>
          {/* A native select laid over the display: the platform's keyboard and screen-reader behaviour for free. */}
          <select
            aria-label="Destination"
            value={destinationId ?? ''}
            onChange={(event) => {
              if (event.currentTarget.value === '__add') openSettings(true);
              else chooseDestination(event.currentTarget.value);
            }}
          >
            {destinations.map((destination) => {
              const described = describeDestinationUrl(destination.url);
              return (
                <option key={destination.id} value={destination.id}>
                  {`${destination.name} — ${described.kindLabel} · ${described.mode} · ${described.where}`}
                </option>
              );
            })}
            <option value="__add">Add a destination…</option>
          </select>
        </div>
      </div>
      <div className="topbar-actions">
        <button type="button" className="button button-primary" onClick={pickFiles}>
          <PlusFileIcon /> Add files
        </button>
        <button type="button" className="button" onClick={pickFolder}>
          <FolderIcon /> Add folder
        </button>
        <SyncButton />
        <button type="button" className="icon-button" aria-label="Settings" title="Settings" onClick={() => openSettings(true)}>
          <GearIcon />
        </button>
      </div>
    </header>
  );
}
