// The bridge between the window and main: exactly the contract (commands and events), a path for a
// dropped file, and the native pickers. The preload is sandboxed, so it imports nothing but
// Electron; main validates every message, so nothing here is trusted.
import electron = require('electron');

const { contextBridge, ipcRenderer, webUtils } = electron;

// Kept equal to electron/channels.ts by a unit test (a sandboxed preload cannot import it).
const COMMAND = 'tierdrop:command';
const EVENT = 'tierdrop:event';
const SUBSCRIBE = 'tierdrop:subscribe';
const PICK_FILES = 'tierdrop:pick-files';
const PICK_FOLDER = 'tierdrop:pick-folder';

const listeners = new Set<(event: unknown) => void>();
let subscribed = false;

ipcRenderer.on(EVENT, (_sender: electron.IpcRendererEvent, event: unknown) => {
  for (const listener of listeners) listener(event);
});

contextBridge.exposeInMainWorld('tierdrop', {
  command: (name: string, input: unknown): Promise<unknown> => ipcRenderer.invoke(COMMAND, name, input),
  onEvent: (listener: (event: unknown) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
    listeners.add(listener);
    if (!subscribed) {
      subscribed = true;
      ipcRenderer.send(SUBSCRIBE); // main answers with what the window must hear first (journal.recovered)
    }
    return () => {
      listeners.delete(listener);
    };
  },
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
  pickFiles: (): Promise<unknown> => ipcRenderer.invoke(PICK_FILES),
  pickFolder: (): Promise<unknown> => ipcRenderer.invoke(PICK_FOLDER),
});
