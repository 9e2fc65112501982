// Hands the store and the transport to components; `useApp` selects narrowly from the store.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from '../store/index.js';
import type { Transport } from '../transport/index.js';

const StoreContext = createContext<{ store: AppStore; transport: Transport } | null>(null);

export function StoreProvider({ store, transport, children }: { store: AppStore; transport: Transport; children: ReactNode }) {
  return <StoreContext.Provider value={{ store, transport }}>{children}</StoreContext.Provider>;
}

function useContextValue(): { store: AppStore; transport: Transport } {
  const value = useContext(StoreContext);
  if (value === null) throw new Error('useApp used outside StoreProvider');
  return value;
}

export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useContextValue().store, selector);
}

export function useAppStore(): AppStore {
  return useContextValue().store;
}

export function useTransport(): Transport {
  return useContextValue().transport;
}
