// The window's sync slice against a scripted transport: it mirrors listSyncRoots and `sync.updated`
// (a removed root stays gone), says what failed, and offers "keep synced" for dropped folders only
// where the shell knows their paths.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Settings, type CommandInput, type CommandName, type CommandOutput, type Result, type SyncRootView } from '../../core/contract/index.js';
import { createAppStore, type AppStore } from '../../renderer/store/index.js';
import { describeLastSynced, describePending, describeSyncState, droppedFolderNames, folderName } from '../../renderer/store/sync.js';
import type { Drop, DroppedFile, Transport, TransportListener } from '../../renderer/transport/index.js';

const DESTINATION = 'file:///srv/archive';

function root(id: string, overrides: Partial<SyncRootView> = {}): SyncRootView {
  return {
    id,
    folder: `/home/ana/${id}`,
    destination: DESTINATION,
    options: { deletions: 'keep', followSymlinks: false },
    state: 'watching',
    pendingCount: 0,
    failedCount: 0,
    lastSyncedAt: null,
    errors: [],
    error: null,
    ...overrides,
  };
}

class ScriptedTransport implements Transport {
  readonly kind = 'electron';
  readonly pickers = null;
  listener: TransportListener | null = null;
  calls: Array<{ name: string; input: unknown }> = [];
  answers = new Map<string, Result<unknown>>();
  drops: Drop[] = [];
  pathsOf?: (files: readonly File[]) => string[];

  command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    this.calls.push({ name, input });
    return Promise.resolve((this.answers.get(name) ?? { ok: true, value: { ids: [] } }) as Result<CommandOutput<C>>);
  }

  connect(listener: TransportListener): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }

  addDrop(drop: Drop): Promise<Result<{ ids: string[] }>> {
    this.drops.push(drop);
    return Promise.resolve({ ok: true, value: { ids: [] } });
  }
}

/** A drop of top-level items; an item is a folder when a file path starts with its name and a slash. */
function dropOf(topLevel: string[], files: string[]): Drop {
  const named = (name: string) => ({ name }) as File;
  return {
    topLevel: topLevel.map(named),
    files: () => Promise.resolve(files.map((relativePath): DroppedFile => ({ file: named(relativePath), relativePath }))),
  };
}

let transport: ScriptedTransport;
let store: AppStore;

beforeEach(() => {
  vi.useFakeTimers();
  transport = new ScriptedTransport();
  store = createAppStore(transport, () => 5_000);
  store.getState().start();
  transport.listener?.snapshot({ transfers: [], settings: Settings.parse({ destinations: [{ id: 'd1', name: 'Archive', url: DESTINATION }] }), notice: null });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('mirroring sync roots', () => {
  it('lists the roots, then replaces a root in place on each sync.updated and appends new ones', async () => {
    transport.answers.set('listSyncRoots', { ok: true, value: [root('photos'), root('music')] });
    await store.getState().refreshSyncRoots();
    transport.listener?.event({ type: 'sync.updated', root: root('photos', { state: 'scanning', pendingCount: 40 }) });
    transport.listener?.event({ type: 'sync.updated', root: root('notes') });
    const roots = store.getState().syncRoots;
    expect(roots.map((known) => known.id)).toEqual(['photos', 'music', 'notes']);
    expect(roots[0]).toMatchObject({ state: 'scanning', pendingCount: 40 });
  });

  it('keeps a removed root gone even when an update for it arrives late', async () => {
    transport.listener?.event({ type: 'sync.updated', root: root('photos') });
    transport.answers.set('removeSyncRoot', { ok: true, value: { id: 'photos' } });
    await store.getState().removeSyncRoot('photos');
    transport.listener?.event({ type: 'sync.updated', root: root('photos', { pendingCount: 1 }) });
    expect(store.getState().syncRoots).toEqual([]);
    expect(store.getState().toasts.at(-1)).toMatchObject({ tone: 'info', title: 'Stopped syncing photos' });
  });

  it('shows what went wrong when a root cannot be paused, and leaves it as core has it', async () => {
    transport.listener?.event({ type: 'sync.updated', root: root('photos') });
    transport.answers.set('pauseSyncRoot', { ok: false, error: { code: 'not_found', message: 'There is no sync root "photos".', retryable: false, hint: 'Run `tierdrop sync --list`.' } });
    await store.getState().pauseSyncRoot('photos');
    expect(store.getState().toasts.at(-1)).toMatchObject({ tone: 'error', title: 'Could not pause photos', detail: 'There is no sync root "photos". Run `tierdrop sync --list`.' });
    expect(store.getState().syncRoots[0]?.state).toBe('watching');
  });

  it('answers a refused add to the form instead of a toast', async () => {
    transport.answers.set('addSyncRoot', { ok: false, error: { code: 'source_missing', message: 'The folder /nope does not exist.', retryable: false } });
    const answer = await store.getState().addSyncRoot('/nope', DESTINATION, {});
    expect(answer.ok).toBe(false);
    expect(store.getState().toasts).toEqual([]);
    transport.answers.set('addSyncRoot', { ok: true, value: root('photos', { state: 'scanning' }) });
    await store.getState().addSyncRoot('/home/ana/photos', DESTINATION, { deletions: 'mirror' });
    expect(transport.calls.at(-1)).toEqual({ name: 'addSyncRoot', input: { folder: '/home/ana/photos', destination: DESTINATION, options: { deletions: 'mirror' } } });
    expect(store.getState().syncRoots.map((known) => known.state)).toEqual(['scanning']);
  });
});

describe('dropping folders', () => {
  it('offers "keep synced" where paths are known, and adds each folder as a root when chosen', async () => {
    transport.pathsOf = (files) => files.map((file) => `/home/ana/${file.name}`);
    await store.getState().addDrop(dropOf(['photos', 'music'], ['photos/a.jpg', 'music/b/c.mp3']));
    expect(store.getState().syncOffer?.folders).toEqual(['/home/ana/photos', '/home/ana/music']);
    expect(transport.drops).toHaveLength(0);
    transport.answers.set('addSyncRoot', { ok: true, value: root('photos') });
    await store.getState().answerSyncOffer('keep-synced', { deletions: 'keep' });
    expect(transport.calls.filter((call) => call.name === 'addSyncRoot').map((call) => call.input)).toEqual([
      { folder: '/home/ana/photos', destination: DESTINATION, options: { deletions: 'keep' } },
      { folder: '/home/ana/music', destination: DESTINATION, options: { deletions: 'keep' } },
    ]);
    expect(store.getState()).toMatchObject({ syncOffer: null, syncOpen: true });
  });

  it('takes the folders from the drop event when it names them, without walking what was dropped', async () => {
    transport.pathsOf = (files) => files.map((file) => `/home/ana/${file.name}`);
    const drop: Drop = { ...dropOf(['photos'], []), folderNames: ['photos'], files: () => Promise.reject(new Error('walked')) };
    await store.getState().addDrop(drop);
    expect(store.getState().syncOffer?.folders).toEqual(['/home/ana/photos']);
  });

  it('uploads once when asked to', async () => {
    transport.pathsOf = (files) => files.map((file) => `/home/ana/${file.name}`);
    const drop = dropOf(['photos'], ['photos/a.jpg']);
    await store.getState().addDrop(drop);
    await store.getState().answerSyncOffer('once');
    expect(transport.drops).toEqual([drop]);
    expect(transport.calls.some((call) => call.name === 'addSyncRoot')).toBe(false);
  });

  it('uploads at once when files are dropped beside folders, or when the shell has no paths (a browser)', async () => {
    transport.pathsOf = (files) => files.map((file) => `/home/ana/${file.name}`);
    await store.getState().addDrop(dropOf(['photos', 'notes.txt'], ['photos/a.jpg', 'notes.txt']));
    transport.pathsOf = undefined;
    await store.getState().addDrop(dropOf(['photos'], ['photos/a.jpg']));
    expect(transport.drops).toHaveLength(2);
    expect(store.getState().syncOffer).toBeNull();
  });
});

describe('reading a root for people', () => {
  it('names each state and its tone', () => {
    expect(describeSyncState('watching')).toEqual({ label: 'Watching', tone: 'success' });
    expect(describeSyncState('paused')).toEqual({ label: 'Paused', tone: 'warning' });
    expect(describeSyncState('error').tone).toBe('danger');
  });

  it('says what waits in words true to the state', () => {
    expect(describePending({ state: 'watching', pendingCount: 0 })).toBe('Up to date');
    expect(describePending({ state: 'watching', pendingCount: 1200 })).toBe('1,200 pending');
    expect(describePending({ state: 'scanning', pendingCount: 0 })).toBe('Looking for changes');
    expect(describePending({ state: 'paused', pendingCount: 0 })).toBe('Changes wait for Resume');
    expect(describePending({ state: 'error', pendingCount: 3 })).toBe('3 pending, not watching');
  });

  it('says when the root last synced, coarser as time passes', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    expect(describeLastSynced(null, now)).toBe('Never synced');
    expect(describeLastSynced(now - 3_000, now)).toBe('Last synced just now');
    expect(describeLastSynced(now - 42_000, now)).toBe('Last synced 42 s ago');
    expect(describeLastSynced(now - 5 * 60_000, now)).toBe('Last synced 5 min ago');
    expect(describeLastSynced(now - 3 * 3_600_000, now)).toBe('Last synced 3 h ago');
    expect(describeLastSynced(now - 3 * 86_400_000, now)).toMatch(/^Last synced on /);
  });

  it('finds folder names and dropped folders', () => {
    expect(folderName('/home/ana/Projects/')).toBe('Projects');
    expect(folderName('C:\\Users\\ana\\Music')).toBe('Music');
    expect([...droppedFolderNames(['a/x.txt', 'b.txt', 'c/d/e.txt'])]).toEqual(['a', 'c']);
  });
});
