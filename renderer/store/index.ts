// The window's one store, in three slices: transfers (mirrored from core events), settings and
// destinations (from the snapshot and command answers), and ui (filter, search, selection, groups,
// toasts, panels). Actions live here and go through the Transport; components only select and call.
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  transferViewsOf,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type CredentialsStatus,
  type Destination,
  type DestinationCredentials,
  type ErrorInfo,
  type Result,
  type Settings,
  type SettingsPatch,
  type TierdropEvent,
} from '../../core/contract/index.js';
import { baseName } from '../logic/format.js';
import { FILTERS, eligibleIds, type BulkAction, type Filter } from '../logic/states.js';
import type { ConnectionState, Drop, Snapshot, StagingProgress, Transport } from '../transport/index.js';
import { createSyncSlice, type SyncSlice } from './sync.js';
import { applyEvents, emptyTransfers, fromSnapshot, withoutTransfers, type TransfersState } from './transfers.js';

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  tone: 'info' | 'success' | 'error';
  title: string;
  detail?: string;
  action?: ToastAction;
}

export interface SettingsSlice {
  settings: Settings | null;
  destinationId: string | null;
  /** Whether each destination has credentials entered (never the credentials: the shell keeps them). */
  credentials: Readonly<Record<string, CredentialsStatus>>;
}

export interface UiSlice {
  connection: ConnectionState;
  filter: Filter;
  search: string;
  selection: ReadonlySet<string>;
  collapsed: ReadonlySet<string>;
  toasts: readonly Toast[];
  settingsOpen: boolean;
  staging: StagingProgress | null;
}

export interface Actions {
  start(): () => void;
  // transfers
  addDrop(drop: Drop): Promise<void>;
  addPaths(paths: string[]): Promise<void>;
  act(action: BulkAction, ids: readonly string[]): Promise<void>;
  actOnSelection(action: BulkAction): Promise<void>;
  pauseAll(): Promise<void>;
  resumeAll(): Promise<void>;
  clearFinished(): Promise<void>;
  // settings and destinations
  chooseDestination(id: string): void;
  saveSettings(patch: SettingsPatch): Promise<boolean>;
  saveDestination(destination: Omit<Destination, 'id'> & { id?: string }): Promise<Destination | null>;
  removeDestination(id: string): Promise<void>;
  testDestination(url: string): Promise<Result<{ latencyMs: number; warnings?: string[] }>>;
  refreshCredentials(): Promise<void>;
  /** Hands the credentials to the shell (null forgets them); true when they were stored. */
  saveCredentials(destinationId: string, credentials: DestinationCredentials | null): Promise<boolean>;
  // ui
  setFilter(filter: Filter): void;
  setSearch(search: string): void;
  select(ids: readonly string[], mode: 'replace' | 'toggle' | 'add'): void;
  clearSelection(): void;
  toggleGroup(groupId: string): void;
  openSettings(open: boolean): void;
  toast(toast: Omit<Toast, 'id'>): void;
  dismissToast(id: number): void;
  copyText(text: string, what: string): Promise<void>;
}

export type AppState = TransfersState & SettingsSlice & UiSlice & Actions & SyncSlice;
export type AppStore = StoreApi<AppState>;

const DESTINATION_KEY = 'tierdrop.destination';
/** Errors fixed by editing the destination (its URL or credentials), so their toast opens settings. */
const DESTINATION_PROBLEMS: ReadonlySet<ErrorInfo['code']> = new Set(['access_denied', 'invalid_credentials', 'not_found']);
const INFO_TOAST_MS = 6_000; // long enough to read a sentence, short enough not to pile up
const EVENT_FLUSH_MS = 100; // when no frame comes (a hidden window, tests): events still land, ten times a second
const MAX_TOASTS = 4; // older ones give way; errors stay visible until dismissed or displaced

export function createAppStore(transport: Transport, now: () => number = Date.now): AppStore {
  let nextToastId = 1;
  const shownNotices = new Set<string>();

  return createStore<AppState>()((set, get) => {
    const call = async <C extends CommandName>(name: C, input: CommandInput<C>, failureTitle: string, retry?: () => void): Promise<CommandOutput<C> | null> => {
      const answer = await transport.command(name, input);
      if (answer.ok) return answer.value;
      showError(failureTitle, answer.error, retry);
      return null;
    };

    const showError = (title: string, error: ErrorInfo, retry?: () => void): void => {
      get().toast({ tone: 'error', title, detail: [error.message, error.hint].filter(Boolean).join(' '), ...fixFor(error, retry) });
    };

    const fixFor = (error: ErrorInfo, retry?: () => void): { action?: ToastAction } => {
      if (DESTINATION_PROBLEMS.has(error.code)) {
        return { action: { label: 'Open settings', run: () => get().openSettings(true) } };
      }
      if (error.retryable && retry) return { action: { label: 'Try again', run: retry } };
      return {};
    };

    const notice = (message: string): void => {
      if (shownNotices.has(message)) return; // a reconnect re-sends the same notice
      shownNotices.add(message);
      get().toast({ tone: 'info', title: message });
    };

    // Events are queued and applied together once per frame: one set(), one render, however many arrived.
    let pending: TierdropEvent[] = [];
    let flushScheduled = false;
    const flush = (): void => {
      if (!flushScheduled) return; // the frame and the fallback timer both fire; the first one applies
      flushScheduled = false;
      const events = pending;
      pending = [];
      const before = get().transfers;
      set((state) => applyEvents(state, events, now()));
      announceFailures(before, get().transfers, events);
      for (const event of events) {
        if (event.type === 'journal.recovered' && (event.resumedIds.length > 0 || event.setAsidePath !== null)) notice(event.message);
      }
    };
    /** One toast for whatever failed in a batch: named when it is one transfer, counted when many. */
    const announceFailures = (before: AppState['transfers'], after: AppState['transfers'], events: readonly TierdropEvent[]): void => {
      const failed = new Set<string>();
      for (const event of events) {
        for (const transfer of transferViewsOf(event)) {
          if (transfer.state === 'failed' && before.get(transfer.id)?.state !== 'failed') failed.add(transfer.id);
        }
      }
      const [only] = failed;
      if (only === undefined) return;
      const transfer = after.get(only);
      if (failed.size === 1 && transfer?.error) {
        get().toast({
          tone: 'error',
          title: `${baseName(transfer.key)} failed`,
          detail: transfer.error.hint ?? transfer.error.message,
          action: { label: 'Retry', run: () => void get().act('retry', [only]) },
        });
        return;
      }
      get().toast({ tone: 'error', title: `${failed.size} uploads failed`, action: { label: 'Show failed', run: () => get().setFilter('failed') } });
    };

    const onEvent = (event: TierdropEvent): void => {
      if (event.type === 'sync.updated') return onSyncEvent(event); // a few a second at most: applied at once
      pending.push(event);
      if (flushScheduled) return;
      flushScheduled = true;
      // One store update per painted frame, just before the paint, however many events arrived.
      if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
      setTimeout(flush, EVENT_FLUSH_MS);
    };

    const onSnapshot = (snapshot: Snapshot): void => {
      pending = []; // the snapshot already contains whatever they said
      set((state) => {
        const transfers = fromSnapshot(snapshot.transfers, state);
        const selection = new Set([...state.selection].filter((id) => transfers.transfers.has(id)));
        return { ...transfers, settings: snapshot.settings, destinationId: pickDestination(snapshot.settings.destinations, state.destinationId), selection };
      });
      if (snapshot.notice !== null && snapshot.notice !== '') notice(snapshot.notice);
    };

    const currentDestination = (): Destination | null => {
      const { settings, destinationId } = get();
      return settings?.destinations.find((destination) => destination.id === destinationId) ?? null;
    };

    const uploadDrop = async (drop: Drop): Promise<void> => {
      const destination = currentDestination();
      if (!destination) {
        get().toast({ tone: 'error', title: 'Choose a destination first.', action: { label: 'Open settings', run: () => get().openSettings(true) } });
        return;
      }
      const answer = await transport.addDrop(drop, destination.url, (staging) => set({ staging }));
      set({ staging: null });
      if (!answer.ok) showError(`Could not add to ${destination.name}`, answer.error, () => void get().addDrop(drop));
    };

    const { onSyncEvent, ...sync } = createSyncSlice(transport, set, get, { toast: (toast) => get().toast(toast), currentDestination, uploadDrop });

    const afterSettings = (settings: Settings): void => {
      set((state) => ({ settings, destinationId: pickDestination(settings.destinations, state.destinationId) }));
    };

    return {
      ...emptyTransfers,
      settings: null,
      destinationId: readStored(DESTINATION_KEY),
      credentials: {},
      connection: 'connecting',
      filter: 'all',
      search: '',
      selection: new Set(),
      collapsed: new Set(),
      toasts: [],
      settingsOpen: false,
      staging: null,

      start: () => transport.connect({ snapshot: onSnapshot, event: onEvent, connection: (connection) => set({ connection }) }),

      ...sync,

      addDrop: async (drop) => {
        if (await sync.offerKeepSynced(drop)) return; // folders with paths: the person chooses first
        await uploadDrop(drop);
      },

      addPaths: async (paths) => {
        const destination = currentDestination();
        const [first, ...rest] = paths;
        if (!destination || first === undefined) return;
        await call('addFiles', { paths: [first, ...rest], destination: destination.url }, `Could not add to ${destination.name}`);
      },

      act: async (action, ids) => {
        const eligible = eligibleIds(action, ids, (id) => get().transfers.get(id)?.state);
        const [first, ...rest] = eligible;
        if (first === undefined) return;
        await call(action, { ids: [first, ...rest] }, `Could not ${action} ${eligible.length === 1 ? 'the transfer' : `${eligible.length} transfers`}`);
      },

      actOnSelection: (action) => get().act(action, [...get().selection]),

      pauseAll: async () => {
        await call('pauseAll', {}, 'Could not pause');
      },

      resumeAll: async () => {
        await call('resumeAll', {}, 'Could not resume');
      },

      clearFinished: async () => {
        const answer = await call('clearFinished', {}, 'Could not clear the finished transfers');
        if (!answer) return;
        set((state) => ({ ...withoutTransfers(state, answer.ids), selection: new Set([...state.selection].filter((id) => !answer.ids.includes(id))) }));
      },

      chooseDestination: (id) => {
        writeStored(DESTINATION_KEY, id);
        set({ destinationId: id });
      },

      saveSettings: async (patch) => {
        // The whole settings object goes with the patch: the contract's SettingsPatch fills every
        // field left out with its default, which would reset them (and drop every destination).
        const current = get().settings;
        const settings = await call('setSettings', current === null ? patch : { ...current, ...patch }, 'Could not save the settings');
        if (settings) afterSettings(settings);
        return settings !== null;
      },

      saveDestination: async (destination) => {
        const saved =
          destination.id === undefined
            ? await call('addDestination', { name: destination.name, url: destination.url }, 'Could not add the destination')
            : await call('updateDestination', { id: destination.id, name: destination.name, url: destination.url }, 'Could not save the destination');
        if (!saved) return null;
        const settings = await call('getSettings', {}, 'Could not read the settings');
        if (settings) afterSettings(settings);
        return saved;
      },

      removeDestination: async (id) => {
        if (!(await call('removeDestination', { id }, 'Could not remove the destination'))) return;
        const settings = await call('getSettings', {}, 'Could not read the settings');
        if (settings) afterSettings(settings);
      },

      testDestination: (url) => transport.command('testDestination', { url }),

      refreshCredentials: async () => {
        const answer = await transport.command('listCredentials', {});
        if (answer.ok) set({ credentials: Object.fromEntries(answer.value.map((status) => [status.destinationId, status])) });
      },

      saveCredentials: async (destinationId, credentials) => {
        const status = await call('setCredentials', { destinationId, credentials }, credentials === null ? 'Could not forget the credentials' : 'Could not save the credentials');
        if (status) set((state) => ({ credentials: { ...state.credentials, [destinationId]: status } }));
        return status !== null;
      },

      setFilter: (filter) => set({ filter: FILTERS.includes(filter) ? filter : 'all' }),
      setSearch: (search) => set({ search }),
      select: (ids, mode) =>
        set((state) => {
          if (mode === 'replace') return { selection: new Set(ids) };
          const selection = new Set(state.selection);
          if (mode === 'add') for (const id of ids) selection.add(id);
          else {
            const allSelected = ids.every((id) => selection.has(id));
            for (const id of ids) {
              if (allSelected) selection.delete(id);
              else selection.add(id);
            }
          }
          return { selection };
        }),
      clearSelection: () => set({ selection: new Set() }),
      toggleGroup: (groupId) =>
        set((state) => {
          const collapsed = new Set(state.collapsed);
          if (collapsed.has(groupId)) collapsed.delete(groupId);
          else collapsed.add(groupId);
          return { collapsed };
        }),
      openSettings: (settingsOpen) => set({ settingsOpen }),

      toast: (toast) => {
        const id = nextToastId++;
        set((state) => ({ toasts: [...state.toasts, { ...toast, id }].slice(-MAX_TOASTS) }));
        if (toast.tone !== 'error') setTimeout(() => get().dismissToast(id), INFO_TOAST_MS);
      },
      dismissToast: (id) => set((state) => ({ toasts: state.toasts.filter((toast) => toast.id !== id) })),

      copyText: async (text, what) => {
        try {
          await navigator.clipboard.writeText(text);
          get().toast({ tone: 'success', title: `Copied ${what}` });
        } catch {
          get().toast({ tone: 'error', title: `Could not copy ${what}`, detail: 'The clipboard is not available here.' });
        }
      },
    };
  });
}

/** Keeps the chosen destination if it still exists, else the first one. */
export function pickDestination(destinations: readonly Destination[], wanted: string | null): string | null {
  if (wanted !== null && destinations.some((destination) => destination.id === wanted)) return wanted;
  return destinations[0]?.id ?? null;
}

function readStored(key: string): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string): void {
  try {
    if (typeof localStorage !== 'undefined') localStorage.setItem(key, value);
  } catch {
    // storage disabled: the choice lasts for this session only
  }
}
