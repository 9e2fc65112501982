// Picks the Transport at start: Electron's bridge when the preload put one on window, otherwise the
// loopback host with the token from the page address (kept for reloads, removed from sight).
import { ElectronTransport, type TierdropBridge } from './electron.js';
import { HttpTransport } from './http.js';
import type { Transport } from './types.js';

export type { Transport, TransportListener, Snapshot, ConnectionState, Drop, DroppedFile, StagingProgress } from './types.js';

const TOKEN_KEY = 'tierdrop.token';

declare global {
  interface Window {
    tierdrop?: TierdropBridge;
  }
}

export function chooseTransport(): Transport | null {
  if (window.tierdrop) return new ElectronTransport(window.tierdrop);
  const token = takeToken();
  return token === null ? null : new HttpTransport(token);
}

/** The token from `#token=…` (then hidden from the address bar), or the one this tab had before. */
export function takeToken(): string | null {
  const fromHash = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token');
  if (fromHash !== null && fromHash !== '') {
    try {
      sessionStorage.setItem(TOKEN_KEY, fromHash);
    } catch {
      // storage disabled: the token still works until the page is reloaded
    }
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
