// The sync slice: the window's mirror of core's sync roots (from listSyncRoots and `sync.updated`),
// whether the Sync panel is open, and a drop of folders waiting for "upload once" or "keep synced".
import type { Destination, ErrorInfo, Result, SyncRootOptions, SyncRootView, TierdropEvent } from '../../core/contract/index.js';
import type { Drop, Transport } from '../transport/index.js';

/** Folders dropped where the shell knows their paths: the person chooses what happens to them. */
export interface SyncOffer {
  folders: readonly string[];
  drop: Drop;
}

export interface SyncSlice {
  /** Oldest first, as core lists them; events replace a root in place. */
  syncRoots: readonly SyncRootView[];
  syncOpen: boolean;
  syncOffer: SyncOffer | null;
  openSync(open: boolean): void;
  refreshSyncRoots(): Promise<void>;
  /** Answers the failure instead of showing it, so the form that asked can say it next to the field. */
  addSyncRoot(folder: string, destinationUrl: string, options: Partial<SyncRootOptions>): Promise<Result<SyncRootView>>;
  pauseSyncRoot(id: string): Promise<void>;
  resumeSyncRoot(id: string): Promise<void>;
  removeSyncRoot(id: string): Promise<void>;
  /** True when the drop held folders with known paths and now waits for `answerSyncOffer`. */
  offerKeepSynced(drop: Drop): Promise<boolean>;
  answerSyncOffer(choice: 'once' | 'keep-synced' | 'cancel', options?: Partial<SyncRootOptions>): Promise<void>;
}

/** What the slice needs from the rest of the store. */
export interface SyncHost {
  toast(toast: { tone: 'info' | 'success' | 'error'; title: string; detail?: string }): void;
  currentDestination(): Destination | null;
  /** Hands a drop to the transfer queue (the ordinary, one-off upload). */
  uploadDrop(drop: Drop): Promise<void>;
}

type SetSync = (partial: Partial<SyncSlice> | ((state: SyncSlice) => Partial<SyncSlice>)) => void;

// ---------------------------------------------------------------------------------------------
// Reducers: they copy what core said, nothing more

/** The root replaced where it stands, or appended when it is new. */
export function withSyncRoot(roots: readonly SyncRootView[], root: SyncRootView): readonly SyncRootView[] {
  const at = roots.findIndex((known) => known.id === root.id);
  if (at < 0) return [...roots, root];
  const next = [...roots];
  next[at] = root;
  return next;
}

export function withoutSyncRoot(roots: readonly SyncRootView[], id: string): readonly SyncRootView[] {
  return roots.filter((root) => root.id !== id);
}

/** Top-level names of a drop that are folders: a walked file's path starts with one of them. */
export function droppedFolderNames(relativePaths: readonly string[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const path of relativePaths) {
    const cut = path.indexOf('/');
    if (cut > 0) names.add(path.slice(0, cut));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------

export function createSyncSlice(transport: Transport, set: SetSync, get: () => SyncSlice, host: SyncHost): SyncSlice & { onSyncEvent(event: TierdropEvent): void } {
  // A `sync.updated` sent just before a removal can arrive after its answer; it must not bring the root back.
  const removed = new Set<string>();

  const failed = (title: string, error: ErrorInfo): null => {
    host.toast({ tone: 'error', title, detail: [error.message, error.hint].filter(Boolean).join(' ') });
    return null;
  };

  const keep = (root: SyncRootView): void => {
    if (removed.has(root.id)) return;
    set((state) => ({ syncRoots: withSyncRoot(state.syncRoots, root) }));
  };

  const nameOf = (id: string): string => folderName(get().syncRoots.find((root) => root.id === id)?.folder ?? id);

  return {
    syncRoots: [],
    syncOpen: false,
    syncOffer: null,

    onSyncEvent: (event) => {
      if (event.type === 'sync.updated') keep(event.root);
    },

    openSync: (syncOpen) => {
      set({ syncOpen });
      if (syncOpen) void get().refreshSyncRoots();
    },

    refreshSyncRoots: async () => {
      const answer = await transport.command('listSyncRoots', {});
      if (!answer.ok) return void failed('Could not read the synced folders', answer.error);
      set({ syncRoots: answer.value.filter((root) => !removed.has(root.id)) });
    },

    addSyncRoot: async (folder, destinationUrl, options) => {
      const answer = await transport.command('addSyncRoot', { folder, destination: destinationUrl, options });
      if (!answer.ok) return answer;
      removed.delete(answer.value.id); // the same folder and destination added again is the same root
      keep(answer.value);
      return answer;
    },

    pauseSyncRoot: async (id) => {
      const answer = await transport.command('pauseSyncRoot', { id });
      if (!answer.ok) return void failed(`Could not pause ${nameOf(id)}`, answer.error);
      keep(answer.value);
    },

    resumeSyncRoot: async (id) => {
      const answer = await transport.command('resumeSyncRoot', { id });
      if (!answer.ok) return void failed(`Could not resume ${nameOf(id)}`, answer.error);
      keep(answer.value);
    },

    removeSyncRoot: async (id) => {
      const name = nameOf(id);
      const answer = await transport.command('removeSyncRoot', { id });
      if (!answer.ok) return void failed(`Could not stop syncing ${name}`, answer.error);
      removed.add(answer.value.id);
      set((state) => ({ syncRoots: withoutSyncRoot(state.syncRoots, answer.value.id) }));
      host.toast({ tone: 'info', title: `Stopped syncing ${name}`, detail: 'What was uploaded stays in the store.' });
    },

    offerKeepSynced: async (drop) => {
      if (transport.pathsOf === undefined || host.currentDestination() === null) return false;
      // Walking the whole drop only to learn which items are folders is the fallback, not the rule.
      const folders = new Set(drop.folderNames ?? droppedFolderNames((await drop.files()).map((file) => file.relativePath)));
      // Only a drop of folders alone is offered: loose files beside them have nothing to keep synced.
      if (folders.size === 0 || drop.topLevel.some((file) => !folders.has(file.name))) return false;
      const paths = transport.pathsOf(drop.topLevel.filter((file) => folders.has(file.name)));
      if (paths.length === 0) return false;
      set({ syncOffer: { folders: paths, drop } });
      return true;
    },

    answerSyncOffer: async (choice, options = {}) => {
      const offer = get().syncOffer;
      set({ syncOffer: null });
      if (offer === null || choice === 'cancel') return;
      if (choice === 'once') return host.uploadDrop(offer.drop);
      const destination = host.currentDestination();
      if (destination === null) return;
      for (const folder of offer.folders) {
        const added = await get().addSyncRoot(folder, destination.url, options);
        if (!added.ok) failed(`Could not keep ${folderName(folder)} synced`, added.error);
      }
      set({ syncOpen: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a root for people (pure, so the panel shows and the tests check the same words)

export type SyncTone = 'accent' | 'success' | 'warning' | 'danger' | 'muted';

const STATE_WORDS: Record<SyncRootView['state'], { label: string; tone: SyncTone }> = {
  scanning: { label: 'Scanning', tone: 'accent' },
  watching: { label: 'Watching', tone: 'success' },
  paused: { label: 'Paused', tone: 'warning' },
  error: { label: 'Stopped by an error', tone: 'danger' },
  stopped: { label: 'Not running', tone: 'muted' },
};

export function describeSyncState(state: SyncRootView['state']): { label: string; tone: SyncTone } {
  return STATE_WORDS[state];
}

/** What waits to be uploaded, said so it stays true in every state ("Up to date" only while watching). */
export function describePending(root: Pick<SyncRootView, 'state' | 'pendingCount'>): string {
  const count = root.pendingCount.toLocaleString('en-US');
  switch (root.state) {
    case 'watching':
      return root.pendingCount === 0 ? 'Up to date' : `${count} pending`;
    case 'scanning':
      return root.pendingCount === 0 ? 'Looking for changes' : `${count} pending`;
    case 'paused':
      return root.pendingCount === 0 ? 'Changes wait for Resume' : `${count} pending, waiting for Resume`;
    case 'error':
    case 'stopped':
      return root.pendingCount === 0 ? 'Not watching' : `${count} pending, not watching`;
  }
}

/** "Last synced just now", "… 4 min ago", "… 2 h ago", then the date; "Never synced" before the first upload. */
export function describeLastSynced(lastSyncedAt: number | null, nowMs: number): string {
  if (lastSyncedAt === null) return 'Never synced';
  const seconds = Math.max(0, Math.round((nowMs - lastSyncedAt) / 1000));
  if (seconds < 10) return 'Last synced just now';
  if (seconds < 60) return `Last synced ${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `Last synced ${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `Last synced ${hours} h ago`;
  return `Last synced on ${new Date(lastSyncedAt).toLocaleDateString()}`;
}

/** The folder's own name, from a path in either separator. */
export function folderName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return cut >= 0 && cut < trimmed.length - 1 ? trimmed.slice(cut + 1) : trimmed;
}
