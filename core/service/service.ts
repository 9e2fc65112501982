// SyncService: the one object every shell drives. It owns the home folder (lock, journal,
// settings), the stores opened for destinations, and the transfer engine.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { joinKey, parseStoreUrl } from '../backends/index.js';
import {
  Commands,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type Destination,
  type Result,
  type Settings,
  type SettingsPatch,
  type TierdropEvent,
  transferViewsOf,
} from '../contract/index.js';
import { TierdropError, toErrorInfo } from '../errors/index.js';
import { Journal } from '../journal/index.js';
import { openDestination, SINGLE_WRITER_WARNING, TieredStorage } from '../tiered/index.js';
import { TransferEngine, type StoreHandle } from '../transfer/index.js';
import { journalPath, lockPath, settingsPath } from './home.js';
import { acquireHomeLock, type HomeLock } from './lock.js';
import { loadSettings, mergeSettings, saveSettings } from './settings-store.js';
import { SyncManager } from '../sync/index.js';
import { StagingArea } from './staging.js';

export interface OpenedService {
  service: SyncService;
  /** Things a person should be told at start: a journal or settings file set aside. */
  warnings: string[];
  /** Where an unreadable journal was moved, or null when the journal opened as it was. */
  journalSetAsidePath: string | null;
}

export class SyncService {
  readonly engine: TransferEngine;
  /** Watched folders: persisted in the journal, started with the service unless told otherwise. */
  readonly sync: SyncManager;
  /** Files a browser streamed to the loopback host; each is deleted when its upload is finished. */
  readonly staging: StagingArea;
  private settingsValue: Settings;
  private readonly stores = new Map<string, StoreHandle>();
  /** The same stores by the URL as it was spelled: the engine asks once per file, parsing is not free. */
  private readonly storesBySpelling = new Map<string, StoreHandle>();
  private disposed = false;

  private constructor(
    readonly home: string,
    readonly journal: Journal,
    settings: Settings,
    private readonly lock: HomeLock,
  ) {
    this.settingsValue = settings;
    this.engine = new TransferEngine({
      journal,
      settings: () => this.settingsValue,
      openStore: (destination) => this.store(destination),
    });
    this.staging = new StagingArea(home);
    this.sync = new SyncManager({ journal, engine: this.engine, store: (destination) => this.store(destination) });
    this.engine.on((event) => this.releaseStagedSource(event));
    // Opening a tiered store starts its recovery, which every write to it waits for; stores with
    // changes left by a previous process are opened now, so recovery runs on every start.
    for (const destination of journal.changes.destinations()) {
      try {
        this.store(destination);
      } catch {
        // A URL this build no longer reads: its changes stay recorded until it can be opened.
      }
    }
  }

  /** Takes the home folder's lock, opens the journal and settings. */
  static open(home: string, overrides: SettingsPatch = {}, options: { syncRoots?: 'start' | 'off' } = {}): OpenedService {
    const lock = acquireHomeLock(lockPath(home));
    try {
      const { journal, report } = Journal.open(journalPath(home));
      const loaded = loadSettings(settingsPath(home));
      const warnings = [report.reason, loaded.warning].filter((text): text is string => text !== null);
      const settings = withDefaultDestination(mergeSettings(loaded.settings, overrides), home);
      const service = new SyncService(home, journal, settings, lock);
      if (options.syncRoots !== 'off') service.sync.startAll();
      return { service, warnings, journalSetAsidePath: report.setAsidePath };
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  get settings(): Settings {
    return this.settingsValue;
  }

  on(listener: (event: TierdropEvent) => void): () => void {
    const offEngine = this.engine.on(listener);
    const offSync = this.sync.on(listener);
    return () => {
      offEngine();
      offSync();
    };
  }

  setSettings(patch: SettingsPatch): Settings {
    this.settingsValue = mergeSettings(this.settingsValue, patch);
    saveSettings(settingsPath(this.home), this.settingsValue);
    this.engine.applySettings();
    return this.settingsValue;
  }

  /** Validates a command's input with the contract and answers with an envelope, never a throw. */
  async handle<C extends CommandName>(name: C, input: unknown): Promise<Result<CommandOutput<C>>> {
    const parsed = Commands[name].input.safeParse(input);
    if (!parsed.success) {
      return {
        ok: false,
        error: { code: 'invalid_input', message: parsed.error.issues.map((issue) => issue.message).join('; '), retryable: false },
      };
    }
    try {
      return { ok: true, value: await this.run(name, parsed.data as CommandInput<C>) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  private run<C extends CommandName>(name: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
    const handler = this.handlers[name] as (input: CommandInput<C>) => Promise<CommandOutput<C>> | CommandOutput<C>;
    return Promise.resolve(handler(input));
  }

  private readonly handlers: { [C in CommandName]: (input: CommandInput<C>) => Promise<CommandOutput<C>> | CommandOutput<C> } = {
    addFiles: async ({ paths, destination }) => ({ ids: (await this.engine.addFiles(paths, destination)).ids }),
    pause: async ({ ids }) => ({ ids: await this.engine.pause(ids) }),
    resume: ({ ids }) => ({ ids: this.engine.resume(ids) }),
    cancel: async ({ ids }) => ({ ids: await this.engine.cancel(ids) }),
    retry: ({ ids }) => ({ ids: this.engine.retry(ids) }),
    pauseAll: async () => ({ ids: await this.engine.pauseAll() }),
    resumeAll: () => ({ ids: this.engine.resumeAll() }),
    setSettings: (patch) => this.setSettings(patch),
    getSettings: () => this.settingsValue,
    listTransfers: ({ states }) => this.engine.list(states),
    clearFinished: () => ({ ids: this.clearFinished() }),
    listDestinations: () => this.settingsValue.destinations,
    addDestination: (input) => this.saveDestination({ ...input, id: randomUUID() }),
    updateDestination: (input) => this.saveDestination(input),
    removeDestination: ({ id }) => {
      this.setSettings({ destinations: this.settingsValue.destinations.filter((known) => known.id !== id) });
      return { id };
    },
    testDestination: ({ url }) => this.testDestination(url),
    addStaged: ({ batch, destination }) => this.addStaged(batch, destination),
    addSyncRoot: ({ folder, destination, options }) => this.sync.add(folder, destination, options ?? {}),
    removeSyncRoot: ({ id }) => this.sync.remove(id),
    listSyncRoots: () => this.sync.list(),
    pauseSyncRoot: ({ id }) => this.sync.pause(id),
    resumeSyncRoot: ({ id }) => this.sync.resume(id),
    // Secrets stay with the shell that keeps them (the host's owner-only file, Electron's keychain).
    setCredentials: () => credentialsAreTheShells(),
    listCredentials: () => credentialsAreTheShells(),
  };

  /** Queues a staged batch: each top-level item keeps its dropped name as its key. */
  private async addStaged(batch: string, destination: string): Promise<{ ids: string[] }> {
    const items = await this.staging.topLevel(batch);
    if (items.length === 0) {
      throw new TierdropError('invalid_input', `Nothing was staged in batch ${batch}.`, {
        hint: 'Send the files with PUT /api/stage first (the window does this when files are dropped).',
      });
    }
    const added = await this.engine.addFiles(items, destination);
    if (added.ids.length === 0 && added.problems[0] !== undefined) {
      const first = added.problems[0].error;
      throw new TierdropError(first.code, first.message, { retryable: first.retryable, ...(first.hint === undefined ? {} : { hint: first.hint }) });
    }
    return { ids: added.ids };
  }

  /** Staged copies exist only to be uploaded: once the upload is done or cancelled they go. */
  private releaseStagedSource(event: TierdropEvent): void {
    for (const { state, sourcePath } of transferViewsOf(event)) {
      if ((state === 'done' || state === 'cancelled') && this.staging.contains(sourcePath)) {
        void this.staging.remove(sourcePath).catch(() => undefined); // swept at the next start otherwise
      }
    }
  }

  /** Deletes staged files that no unfinished or failed upload still needs (run at start). */
  async sweepStaging(): Promise<number> {
    const needed = this.journal
      .listUploads({ states: ['queued', 'preparing', 'uploading', 'paused', 'completing', 'committing', 'failed'] })
      .map((row) => row.sourcePath);
    return this.staging.sweep(new Set(needed));
  }

  /** Removes done and cancelled transfers from the journal; the stored objects are untouched. */
  clearFinished(): string[] {
    const finished = this.journal.listUploads({ states: ['done', 'cancelled'] }).map((row) => row.id);
    this.journal.transaction(() => {
      for (const id of finished) this.journal.deleteUpload(id);
    });
    return finished;
  }

  private saveDestination(destination: Destination): Destination {
    const others = this.settingsValue.destinations.filter((known) => known.id !== destination.id);
    this.setSettings({ destinations: [...others, destination] });
    return destination;
  }

  /** Writes, reads back and deletes a probe object, so a wrong destination is found before uploading. */
  async testDestination(url: string): Promise<{ latencyMs: number; warnings?: string[] }> {
    const store = this.store(url);
    const key = joinKey(store.prefix, `.tierdrop-probe-${randomUUID()}`);
    const probe = Buffer.from('tierdrop connection test\n');
    const started = performance.now();
    await store.backend.put(key, probe, { contentLength: probe.length });
    const read = await store.backend.get(key);
    if (read === null) throw new TierdropError('store_error', `${store.backend.description} accepted a test object but did not return it.`, { retryable: true });
    read.body.resume();
    await store.backend.delete(key);
    const latencyMs = Math.round(performance.now() - started);
    // A tiered destination commits by compare-and-write; a store that ignores conditions is single-writer only.
    const tiered = store.backend instanceof TieredStorage ? store.backend : null;
    if (tiered !== null && (await tiered.conditionalWrites()) === 'ignored') return { latencyMs, warnings: [SINGLE_WRITER_WARNING] };
    return { latencyMs };
  }

  /** The store of a destination URL, opened once and reused. */
  store(destination: string): StoreHandle {
    const known = this.storesBySpelling.get(destination);
    if (known) return known;
    // Keyed by the canonical URL, so one destination has one changelog owner however it is spelled.
    const canonical = parseStoreUrl(destination).url;
    const cached = this.stores.get(canonical);
    if (cached) {
      this.storesBySpelling.set(destination, cached);
      return cached;
    }
    const opened = openDestination(canonical, {
      checksum: this.settingsValue.checksum,
      maxSockets: this.settingsValue.concurrency + this.settingsValue.filesInFlight,
      changes: this.journal.changes,
    });
    const handle = { backend: opened.backend, prefix: opened.prefix };
    this.stores.set(canonical, handle);
    this.storesBySpelling.set(destination, handle);
    return handle;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.sync.dispose();
    await this.engine.dispose();
    await Promise.all([...this.stores.values()].map((store) => store.backend.dispose()));
    this.stores.clear();
    this.storesBySpelling.clear();
    this.journal.close();
    this.lock.release();
  }
}

/** With no destination configured, a folder in the home is one, so the app works with no account. */
function withDefaultDestination(settings: Settings, home: string): Settings {
  if (settings.destinations.length > 0) return settings;
  return { ...settings, destinations: [{ id: 'local', name: 'This computer', url: pathToFileURL(join(home, 'local-store')).href }] };
}

function credentialsAreTheShells(): never {
  throw new TierdropError('invalid_input', 'Credentials are kept by the app or the loopback host, not by this command line.', {
    hint: 'Enter them in the window (Settings), or use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a GCS key file.',
  });
}
