// The application menu as data, so it is tested without Electron: the app's own actions plus the
// standard roles people expect (copy and paste in inputs, reload only in development).
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  addFiles(): void;
  addFolder(): void;
  pauseAll(): void;
  resumeAll(): void;
}

export function menuTemplate(platform: NodeJS.Platform, actions: MenuActions, development = false): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [{ label: 'Tierdrop', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }] }]
    : [];
  const view: MenuItemConstructorOptions[] = development ? [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] : [];
  return [
    ...appMenu,
    {
      label: 'File',
      submenu: [
        { label: 'Add Files…', accelerator: 'CmdOrCtrl+O', click: () => actions.addFiles() },
        { label: 'Add Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.addFolder() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'Transfers',
      submenu: [
        { label: 'Pause All', accelerator: 'CmdOrCtrl+Shift+P', click: () => actions.pauseAll() },
        { label: 'Resume All', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.resumeAll() },
      ],
    },
    { label: 'View', submenu: [...view, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
}
