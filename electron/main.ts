// The desktop shell: one hardened window on the built renderer, the SyncService in this process,
// the contract over validated IPC, native pickers, notifications, and a clean pause on quit.
// Everything that can be decided without Electron lives in the small modules imported here.
import { BrowserWindow, Menu, Notification, app, dialog, ipcMain, protocol, safeStorage, session, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Commands, type TierdropEvent } from '../core/contract/index.js';
import { registerCredentialLookup } from '../core/backends/credentials.js';
import { toErrorInfo } from '../core/errors/index.js';
import { CredentialVault, isCredentialCommand } from '../core/host/credentials-vault.js';
import { SyncService, resolveHome, resumeLastSession, type RecoveredEvent } from '../core/service/index.js';
import { APP_INDEX_URL, APP_SCHEME, appResponseHeaders, fileForAppUrl } from './app-protocol.js';
import { BatchTracker, type BatchNotice } from './batch-notices.js';
import { CHANNELS } from './channels.js';
import { keychainPersistence } from './credentials-store.js';
import { parseCommandMessage, refusal } from './ipc-validation.js';
import { menuTemplate } from './menu.js';
import { isTrustedSender } from './sender.js';
import { denyWindowOpen, isNavigationAllowed, permissionGranted, windowOptions } from './window-options.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/electron/electron
const RENDERER_DIR = join(HERE, '..', '..', 'renderer'); // dist/renderer, built by vite
const PRELOAD_PATH = join(HERE, 'preload.cjs');
const REMOTE_URLS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']; // the window loads nothing from a network

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let service: SyncService | null = null;
let credentials: CredentialVault | null = null;
let mainWindow: BrowserWindow | null = null;
let recovered: RecoveredEvent | null = null;
let shutDown = false;
const subscribers = new Set<Electron.WebContents>();
const batches = new BatchTracker();

if (!app.requestSingleInstanceLock()) {
  app.quit(); // the first instance gets 'second-instance' and comes to the front
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start).catch((error: unknown) => fail(error));
}

async function start(): Promise<void> {
  const home = resolveHome();
  // Registered before anything resumes: last session's uploads need the keys entered for them.
  const vault = new CredentialVault(keychainPersistence(home, safeStorage), () => service?.settings.destinations ?? []);
  credentials = vault;
  registerCredentialLookup((location) => vault.lookup(location));
  if (vault.warning !== null) process.stderr.write(`Tierdrop: ${vault.warning}\n`);
  const opened = SyncService.open(home);
  service = opened.service;
  service.on(broadcast);
  recovered = await resumeLastSession(service, opened.journalSetAsidePath);

  hardenSession();
  protocol.handle(APP_SCHEME, serveAppFile);
  registerIpc();
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(process.platform, {
        addFiles: () => void pickAndAdd(['openFile', 'multiSelections']),
        addFolder: () => void pickAndAdd(['openDirectory']),
        pauseAll: () => void service?.handle('pauseAll', {}),
        resumeAll: () => void service?.handle('resumeAll', {}),
      }, !app.isPackaged),
    ),
  );
  openWindow();
}

function openWindow(): void {
  const window = new BrowserWindow(windowOptions(PRELOAD_PATH));
  mainWindow = window;
  const contents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(denyWindowOpen);
  contents.on('destroyed', () => subscribers.delete(contents));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(APP_INDEX_URL);
}

function hardenSession(): void {
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(permissionGranted()));
  defaultSession.setPermissionCheckHandler(() => permissionGranted());
  defaultSession.webRequest.onBeforeRequest({ urls: REMOTE_URLS }, (_details, callback) => callback({ cancel: true }));
  defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, ...headerLists(appResponseHeaders('index.html')) } });
  });
}

function headerLists(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'Content-Type').map(([name, value]) => [name, [value]]));
}

async function serveAppFile(request: Request): Promise<Response> {
  const file = fileForAppUrl(request.url, RENDERER_DIR);
  if (file === null) return new Response('Not found', { status: 404 });
  try {
    return new Response(await readFile(file), { status: 200, headers: appResponseHeaders(file) });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}

function registerIpc(): void {
  ipcMain.handle(CHANNELS.command, async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame)) return refusal('access_denied', 'Only the Tierdrop window may send commands.');
    const parsed = parseCommandMessage(name, input);
    if (!parsed.ok) return parsed.answer;
    // Secrets are kept here in main, sealed by the keychain; the window only learns set or not set.
    if (isCredentialCommand(parsed.name)) return credentials ? credentials.handle(parsed.name, parsed.input) : refusal('internal', 'Tierdrop is still starting.');
    if (!service) return refusal('internal', 'Tierdrop is still starting.');
    if (parsed.name !== 'addFiles') return service.handle(parsed.name, parsed.input);
    const endBatch = batches.begin();
    const result = await service.handle(parsed.name, parsed.input);
    const added = result.ok ? Commands.addFiles.output.safeParse(result.value) : null;
    showNotice(endBatch(added?.success === true ? added.data.ids : null));
    return result;
  });
  ipcMain.on(CHANNELS.subscribe, (event: IpcMainEvent) => {
    if (!isTrustedSender(event.senderFrame)) return;
    subscribers.add(event.sender);
    if (recovered) event.sender.send(CHANNELS.event, recovered);
  });
  ipcMain.handle(CHANNELS.pickFiles, async (event: IpcMainInvokeEvent) => {
    if (!isTrustedSender(event.senderFrame)) return [];
    return pick(['openFile', 'multiSelections']);
  });
  ipcMain.handle(CHANNELS.pickFolder, async (event: IpcMainInvokeEvent) => {
    if (!isTrustedSender(event.senderFrame)) return null;
    return (await pick(['openDirectory']))[0] ?? null;
  });
}

async function pick(properties: Array<'openFile' | 'openDirectory' | 'multiSelections'>): Promise<string[]> {
  const options = { properties };
  const answer = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return answer.canceled ? [] : answer.filePaths;
}

/** The menu's Add Files / Add Folder: picked paths go to the first destination in settings. */
async function pickAndAdd(properties: Array<'openFile' | 'openDirectory' | 'multiSelections'>): Promise<void> {
  const [first, ...rest] = await pick(properties);
  const destination = service?.settings.destinations[0];
  if (first === undefined || !service || !destination) return;
  const endBatch = batches.begin();
  const result = await service.handle('addFiles', { paths: [first, ...rest], destination: destination.url });
  showNotice(endBatch(result.ok ? result.value.ids : null));
}

function broadcast(event: TierdropEvent): void {
  for (const contents of subscribers) {
    if (!contents.isDestroyed()) contents.send(CHANNELS.event, event);
  }
  showNotice(batches.observe(event));
}

function showNotice(notice: BatchNotice | null): void {
  if (notice && Notification.isSupported()) new Notification({ title: notice.title, body: notice.body }).show();
}

// Quitting mid-upload: in-flight requests are stopped and their uploads go back to the queue
// (not paused), so the next launch resumes them and says so.
app.on('before-quit', (event) => {
  if (shutDown || !service) return;
  event.preventDefault();
  shutDown = true;
  const stopping = service;
  service = null;
  void stopping.dispose().finally(() => app.quit());
});
app.on('window-all-closed', () => app.quit());
process.on('SIGTERM', () => app.quit());
process.on('SIGINT', () => app.quit());

function fail(error: unknown): void {
  dialog.showErrorBox('Tierdrop could not start', toErrorInfo(error).message);
  app.exit(1);
}
