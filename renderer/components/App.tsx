// The window, top to bottom (DESIGN §7): top bar, status strip, filters, the transfer list; the
// drop overlay, toasts and the settings panel float above it.
import { useEffect } from 'react';
import { DropOverlay } from './DropOverlay.js';
import { FilterBar } from './FilterBar.js';
import { PickersProvider } from './Pickers.js';
import { SettingsPanel } from './SettingsPanel.js';
import { StatusStrip } from './StatusStrip.js';
import { KeepSyncedChoice, SyncPanel } from './SyncPanel.js';
import { Toasts } from './Toasts.js';
import { TopBar } from './TopBar.js';
import { TransferList } from './TransferList.js';
import { useApp, useAppStore } from './context.js';

export function App() {
  const store = useAppStore();
  const connection = useApp((state) => state.connection);
  useEffect(() => store.getState().start(), [store]);

  return (
    <PickersProvider>
      <div className={connection === 'live' ? 'app' : 'app app-offline'} aria-busy={connection === 'connecting'}>
        <TopBar />
        {connection === 'reconnecting' || connection === 'refused' ? (
          <div className="banner" role="status">
            {connection === 'refused' ? 'Tierdrop refused this page. Open the address it printed when it started.' : 'Lost the connection to Tierdrop. Reconnecting…'}
          </div>
        ) : null}
        <StatusStrip />
        <FilterBar />
        <TransferList />
        <DropOverlay />
        <Toasts />
        <SettingsPanel />
        <SyncPanel />
        <KeepSyncedChoice />
      </div>
    </PickersProvider>
  );
}
