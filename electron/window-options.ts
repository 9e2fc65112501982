// How the window is made and what it may do: no Node in the page, an isolated and sandboxed
// preload, no navigation away from the app, no new windows, no permissions.
import type { BrowserWindowConstructorOptions } from 'electron';
import { APP_ORIGIN } from './app-protocol.js';

const MIN_WIDTH_PX = 720; // the transfer list's columns stop fitting below this
const MIN_HEIGHT_PX = 480;

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 720,
    minWidth: MIN_WIDTH_PX,
    minHeight: MIN_HEIGHT_PX,
    title: 'Tierdrop',
    show: false, // shown on ready-to-show, so the window never flashes empty
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false, // a file dropped outside the drop zone must not replace the app
      spellcheck: false,
    },
  };
}

/** Every navigation is refused except reloading the app itself. */
export function isNavigationAllowed(targetUrl: string): boolean {
  try {
    const url = new URL(targetUrl);
    return `${url.protocol}//${url.host}` === APP_ORIGIN && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The answer to every window.open and target=_blank: no. */
export function denyWindowOpen(): { action: 'deny' } {
  return { action: 'deny' };
}

/** No page permission (camera, notifications from the page, geolocation…) is ever granted. */
export function permissionGranted(): boolean {
  return false;
}
