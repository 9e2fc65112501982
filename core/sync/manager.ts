// SyncManager: every sync root of a home, persisted in the journal and restarted with the service.
// It routes the engine's finished transfers to their root and coalesces the roots' `sync.updated`.
import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseStoreUrl } from '../backends/index.js';
import type { SyncRootOptions, SyncRootView, TierdropEvent } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';
import type { Journal } from '../journal/index.js';
import type { StoreHandle, TransferEngine } from '../transfer/index.js';
import { SyncRoot } from './root.js';
import { rootView } from './view.js';

export interface SyncManagerOptions {
  journal: Journal;
  engine: TransferEngine;
  store: (destination: string) => StoreHandle;
  /** How long a file must stay unchanged before it is uploaded. */
  settleMs?: number;
  /** How often, at most, one root's `sync.updated` is sent. */
  updateIntervalMs?: number;
  windowSize?: number;
}

export type SyncMode = 'watch' | 'once';

const SETTLE_MS = 1_000; // long enough for an editor's save or a copy's next write, short enough to feel live
const UPDATE_INTERVAL_MS = 250; // a panel updates a few times a second, whatever the file count
const WINDOW_SIZE = 256; // transfers per root in the engine at once; the index holds the rest

export class SyncManager {
  readonly #roots = new Map<string, SyncRoot>();
  readonly #listeners = new Set<(event: TierdropEvent) => void>();
  readonly #dirty = new Set<string>();
  readonly #options: Required<Omit<SyncManagerOptions, 'journal' | 'engine' | 'store'>>;
  readonly #unsubscribe: () => void;
  #updateTimer: NodeJS.Timeout | null = null;
  #recovered = false;
  #disposed = false;

  constructor(private readonly deps: SyncManagerOptions) {
    this.#options = {
      settleMs: deps.settleMs ?? SETTLE_MS,
      updateIntervalMs: deps.updateIntervalMs ?? UPDATE_INTERVAL_MS,
      windowSize: deps.windowSize ?? WINDOW_SIZE,
    };
    this.#unsubscribe = deps.engine.on((event) => {
      if (event.type !== 'transfer.finished') return;
      for (const root of this.#roots.values()) root.onTransferFinished(event.transfer);
    });
  }

  on(listener: (event: TierdropEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts every root that is not paused, watching: what the service does when it opens. */
  startAll(): void {
    for (const row of this.deps.journal.syncIndex.listRoots()) {
      if (row.paused || this.#roots.has(row.id)) continue;
      void this.#runtime(row.id)?.start(true);
    }
  }

  /**
   * Adds a root (or, for a folder and destination already synced, updates its options) and starts
   * it. A destination inside the folder is refused: the root would upload its own uploads.
   */
  async add(folder: string, destination: string, options: Partial<SyncRootOptions> = {}, mode: SyncMode = 'watch'): Promise<SyncRootView> {
    const absolute = await checkFolder(folder);
    refuseStoreInside(absolute, destination);
    // One spelling per destination, so the same folder and store are always the same root.
    destination = parseStoreUrl(destination).url;
    const index = this.deps.journal.syncIndex;
    const existing = index.listRoots().find((row) => row.folder === absolute && row.destination === destination);
    const row = existing
      ? index.updateRoot(existing.id, { deletions: options.deletions ?? existing.deletions, followSymlinks: options.followSymlinks ?? existing.followSymlinks, paused: false })
      : index.insertRoot({
          id: randomUUID(),
          folder: absolute,
          destination,
          deletions: options.deletions ?? 'keep',
          followSymlinks: options.followSymlinks ?? false,
        });
    const running = this.#roots.get(row.id);
    if (running) await running.stop();
    this.#roots.delete(row.id);
    const root = this.#runtime(row.id);
    if (!root) throw new TierdropError('internal', `Sync root ${row.id} vanished while it was added.`);
    void root.start(mode === 'watch');
    return root.view();
  }

  /** Stops the root, cancels its transfers and forgets its index; the store keeps what was uploaded. */
  async remove(id: string): Promise<{ id: string }> {
    const fullId = this.resolveId(id);
    const root = this.#runtime(fullId);
    if (root) {
      await root.stop();
      await root.cancelTransfers();
    }
    this.#roots.delete(fullId);
    this.deps.journal.syncIndex.deleteRoot(fullId);
    this.#dirty.delete(fullId);
    return { id: fullId };
  }

  async pause(id: string): Promise<SyncRootView> {
    const root = this.#require(id);
    await root.pause();
    return root.view();
  }

  async resume(id: string, mode: SyncMode = 'watch'): Promise<SyncRootView> {
    const root = this.#require(id);
    void root.resume(mode === 'watch');
    return root.view();
  }

  list(): SyncRootView[] {
    return this.deps.journal.syncIndex.listRoots().map((row) => this.#roots.get(row.id)?.view() ?? rootView(row, this.deps.journal.syncIndex, null));
  }

  get(id: string): SyncRootView {
    return this.#require(id).view();
  }

  /** Resolves once the root has scanned and uploaded everything it found (for one-shot syncs and tests). */
  whenIdle(id: string): Promise<void> {
    return this.#require(id).whenIdle();
  }

  /** A full id, or a unique prefix of one (the CLI shows 8 characters). */
  resolveId(given: string): string {
    const matches = this.deps.journal.syncIndex.listRoots().filter((row) => row.id.startsWith(given));
    const only = matches[0];
    if (matches.length === 1 && only) return only.id;
    throw new TierdropError(matches.length === 0 ? 'not_found' : 'invalid_input', matches.length === 0 ? `There is no sync root "${given}".` : `"${given}" matches ${matches.length} sync roots; give more of the id.`, {
      hint: 'Run `tierdrop sync --list` to see the roots and their ids.',
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unsubscribe();
    await Promise.all([...this.#roots.values()].map((root) => root.stop()));
    if (this.#updateTimer) clearTimeout(this.#updateTimer);
    this.#updateTimer = null;
    this.#listeners.clear();
  }

  // -------------------------------------------------------------------------------------------

  #require(id: string): SyncRoot {
    const root = this.#runtime(this.resolveId(id));
    if (!root) throw new TierdropError('not_found', `There is no sync root "${id}".`);
    return root;
  }

  /** The running object of a root, created on first use. */
  #runtime(id: string): SyncRoot | null {
    const known = this.#roots.get(id);
    if (known) return known;
    const row = this.deps.journal.syncIndex.getRoot(id);
    if (row === null) return null;
    if (!this.#recovered) {
      // Transfers a killed process left mid-flight go back to the queue before a root adopts them.
      this.#recovered = true;
      this.deps.engine.recover();
    }
    const root = new SyncRoot(row, {
      journal: this.deps.journal,
      engine: this.deps.engine,
      store: this.deps.store,
      settleMs: this.#options.settleMs,
      windowSize: this.#options.windowSize,
      changed: (changed) => this.#markDirty(changed.id),
    });
    this.#roots.set(id, root);
    return root;
  }

  #markDirty(id: string): void {
    if (this.#disposed) return;
    this.#dirty.add(id);
    if (this.#updateTimer) return;
    this.#updateTimer = setTimeout(() => {
      this.#updateTimer = null;
      const ids = [...this.#dirty];
      this.#dirty.clear();
      for (const dirtyId of ids) {
        const root = this.#roots.get(dirtyId);
        if (!root) continue;
        const event: TierdropEvent = { type: 'sync.updated', root: root.view() };
        for (const listener of this.#listeners) listener(event);
      }
    }, this.#options.updateIntervalMs);
    this.#updateTimer.unref();
  }
}

async function checkFolder(folder: string): Promise<string> {
  const absolute = resolve(folder);
  try {
    if (!(await stat(absolute)).isDirectory()) throw new TierdropError('invalid_input', `${absolute} is not a folder; only folders can be kept synced.`);
    return await realpath(absolute);
  } catch (error) {
    if (error instanceof TierdropError) throw error;
    throw new TierdropError('source_missing', `The folder ${absolute} does not exist or cannot be read.`, { hint: 'Check the path.', cause: error });
  }
}

function refuseStoreInside(folder: string, destination: string): void {
  const location = parseStoreUrl(destination);
  if (location.kind !== 'fs') return;
  const inside = relative(folder, location.root);
  if (inside === '' || (!inside.startsWith(`..${sep}`) && inside !== '..' && !isAbsolute(inside))) {
    throw new TierdropError('invalid_input', `The destination ${location.root} is inside the synced folder ${folder}; it would upload its own uploads.`, {
      hint: 'Choose a destination outside the folder.',
    });
  }
}
