// The menu and the batch-finished notification, both decided without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { TransferView } from '../../core/contract/index.js';
import { BatchTracker } from '../../electron/batch-notices.js';
import { menuTemplate } from '../../electron/menu.js';

function items(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const submenu = template.find((item) => item.label === label)?.submenu;
  return Array.isArray(submenu) ? submenu : [];
}

describe('the menu', () => {
  it('offers adding files and folders and pausing everything, wired to the actions', () => {
    const actions = { addFiles: vi.fn(), addFolder: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn() };
    const template = menuTemplate('linux', actions);
    const file = items(template, 'File');
    const click = (label: string, menu: MenuItemConstructorOptions[]) => {
      const item = menu.find((entry) => entry.label === label);
      expect(item?.accelerator, label).toBeDefined();
      (item?.click as (() => void) | undefined)?.();
    };
    click('Add Files…', file);
    click('Add Folder…', file);
    click('Pause All', items(template, 'Transfers'));
    click('Resume All', items(template, 'Transfers'));
    expect(actions.addFiles).toHaveBeenCalledOnce();
    expect(actions.addFolder).toHaveBeenCalledOnce();
    expect(actions.pauseAll).toHaveBeenCalledOnce();
    expect(actions.resumeAll).toHaveBeenCalledOnce();
  });

  it('has the macOS app menu only on macOS, and developer tools only in development', () => {
    const actions = { addFiles: vi.fn(), addFolder: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn() };
    expect(menuTemplate('darwin', actions)[0]?.label).toBe('Tierdrop');
    expect(menuTemplate('win32', actions)[0]?.label).toBe('File');
    const roles = (template: MenuItemConstructorOptions[]) => items(template, 'View').map((item) => item.role);
    expect(roles(menuTemplate('linux', actions))).not.toContain('toggleDevTools');
    expect(roles(menuTemplate('linux', actions, true))).toContain('toggleDevTools');
  });
});

function view(id: string, state: TransferView['state']): TransferView {
  return {
    id, destination: 'file:///srv/store', sourcePath: `/tmp/${id}`, key: id, sizeBytes: 1, bytesDone: 1, partsDone: 0, partsTotal: 0,
    state, error: null, speedBytesPerSec: 0, etaSeconds: null, createdAt: 0, updatedAt: 0,
  };
}

describe('batch notifications', () => {
  it('notifies once, when the last file of a batch is finished', () => {
    const tracker = new BatchTracker();
    tracker.add(['a', 'b']);
    expect(tracker.observe({ type: 'transfer.updated', transfer: view('a', 'uploading') })).toBeNull();
    expect(tracker.observe({ type: 'transfer.finished', transfer: view('a', 'done') })).toBeNull();
    expect(tracker.observe({ type: 'transfer.updated', transfer: view('b', 'done') })).toEqual({ title: 'Upload finished', body: '2 files uploaded.' });
    expect(tracker.observe({ type: 'transfer.finished', transfer: view('b', 'done') })).toBeNull();
  });

  it('says what failed and what to do', () => {
    const tracker = new BatchTracker();
    tracker.add(['a', 'b', 'c']);
    tracker.observe({ type: 'transfer.finished', transfer: view('a', 'done') });
    tracker.observe({ type: 'transfer.finished', transfer: view('b', 'failed') });
    expect(tracker.observe({ type: 'transfer.updated', transfer: view('c', 'cancelled') })).toEqual({
      title: 'Upload finished with problems',
      body: '1 uploaded, 1 failed, 1 cancelled. Open Tierdrop to retry.',
    });
  });

  it('counts files that finished before the add answered with their ids', () => {
    const tracker = new BatchTracker();
    const end = tracker.begin();
    // A big folder's first chunk is queued, and may finish, while the rest is still walked.
    expect(tracker.observe({ type: 'transfers.added', transfers: [view('a', 'queued'), view('b', 'queued')] })).toBeNull();
    expect(tracker.observe({ type: 'transfer.finished', transfer: view('a', 'done') })).toBeNull();
    expect(end(['a', 'b'])).toBeNull();
    expect(tracker.observe({ type: 'transfer.finished', transfer: view('b', 'done') })).toEqual({ title: 'Upload finished', body: '2 files uploaded.' });
  });

  it('notifies when the add answers if every file of it has finished already', () => {
    const tracker = new BatchTracker();
    const end = tracker.begin();
    tracker.observe({ type: 'transfer.finished', transfer: view('a', 'done') });
    expect(end(['a'])).toEqual({ title: 'Upload finished', body: '1 file uploaded.' });
    // Outcomes are kept only while an add is under way.
    tracker.observe({ type: 'transfer.finished', transfer: view('z', 'done') });
    expect(tracker.add(['z'])).toBeNull();
  });

  it('ignores transfers it was not asked about', () => {
    const tracker = new BatchTracker();
    expect(tracker.observe({ type: 'transfer.finished', transfer: view('z', 'done') })).toBeNull();
    expect(tracker.observe({ type: 'transfer.progress', items: [] })).toBeNull();
  });
});
