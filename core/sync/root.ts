// One sync root at run time: reconciles its index with the journal's uploads after a restart,
// scans the folder against the index, watches it, and feeds what changed to the transfer engine a
// window at a time. The index in the journal is the queue, so memory stays flat with the file count.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { joinKey, type ObjectMeta } from '../backends/index.js';
import type { ErrorInfo, SyncProblem, SyncRootState, SyncRootView, TransferView } from '../contract/index.js';
import { TierdropError, toErrorInfo } from '../errors/index.js';
import type { Journal, SyncEntryRow, SyncIndexStore, SyncRootRow, UploadRow } from '../journal/index.js';
import type { StoreHandle, TransferEngine } from '../transfer/index.js';
import { IGNORE_FILE_NAME, IgnoreMatcher } from './ignore.js';
import { hashFile, keyOfLocalPath, samePrint, statLocal, type LocalPrint } from './local.js';
import { SettleTracker } from './settle.js';
import { rootView } from './view.js';
import { walkRoot, type WalkItem } from './walk.js';
import { watchFolder, type FolderWatch } from './watcher.js';

export interface SyncRootDeps {
  journal: Journal;
  engine: TransferEngine;
  store: (destination: string) => StoreHandle;
  settleMs: number;
  /** Transfers of this root in the engine at once; the rest wait in the index. */
  windowSize: number;
  /** Called when the root's view may have changed; the manager coalesces. */
  changed: (root: SyncRoot) => void;
}

/** What the root needs to know of a finished transfer (a TransferView is one). */
export type TransferOutcome = Pick<TransferView, 'id' | 'state' | 'error'>;

const WRITE_BATCH = 512; // index writes per transaction during a scan: one commit per batch
const LOOKUP_BATCH = 256; // walked files looked up in the index with one query
const PAGE = 512; // index rows read per query when paging through deletions
const MAX_PROBLEMS = 50; // problems kept for the view; older ones are dropped

type IndexWrite = () => void;

/** Index writes waiting for one transaction; unchanged files are marked seen with one statement. */
class IndexWrites {
  #ops: IndexWrite[] = [];
  #seen = new Map<number, string[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(op: IndexWrite): void {
    this.#ops.push(op);
    this.#size += 1;
  }

  /** The scan `scanNo` found `key` as the index has it. */
  seen(key: string, scanNo: number): void {
    const keys = this.#seen.get(scanNo);
    if (keys) keys.push(key);
    else this.#seen.set(scanNo, [key]);
    this.#size += 1;
  }

  /** Everything queued, as one function to run in a transaction (null when nothing is). */
  take(index: SyncIndexStore, rootId: string): IndexWrite | null {
    if (this.#size === 0) return null;
    const ops = this.#ops;
    const seen = this.#seen;
    this.#ops = [];
    this.#seen = new Map();
    this.#size = 0;
    return () => {
      for (const op of ops) op();
      for (const [scanNo, keys] of seen) index.markSeenMany(rootId, keys, scanNo);
    };
  }
}

export class SyncRoot {
  readonly id: string;
  #row: SyncRootRow;
  #state: SyncRootState = 'stopped';
  #error: ErrorInfo | null = null;
  readonly #problems: SyncProblem[] = [];
  /** Upload id → key, for this root's transfers in the engine. */
  readonly #outstanding = new Map<string, string>();
  /** Finished transfers waiting to be recorded in the index. */
  readonly #finished: Array<{ transfer: TransferOutcome; key: string }> = [];
  #ignore = IgnoreMatcher.fromIgnoreFile(null);
  #watch: FolderWatch | null = null;
  #settle: SettleTracker | null = null;
  #scanning = false;
  #rescanAgain = false;
  #feeding = false;
  #feedAgain = false;
  #running = false;
  /** Work started by events (settled paths, finished transfers) that `whenIdle` must wait for. */
  #busy = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(
    row: SyncRootRow,
    private readonly deps: SyncRootDeps,
  ) {
    this.id = row.id;
    this.#row = row;
  }

  get row(): SyncRootRow {
    return this.#row;
  }

  get #index(): SyncIndexStore {
    return this.deps.journal.syncIndex;
  }

  view(): SyncRootView {
    return rootView(this.#row, this.#index, { state: this.#state, problems: this.#problems, error: this.#error });
  }

  // -------------------------------------------------------------------------------------------
  // Life cycle

  /** Reconciles, scans, then (with `watch`) keeps watching. Failures become the root's error state. */
  async start(watch: boolean): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#error = null;
    this.#busy += 1; // until the first scan is done, the root is not idle
    this.#settle = new SettleTracker(this.#row.folder, this.deps.settleMs, (localPath) => void this.#track(() => this.#onSettled(localPath)));
    try {
      const folder = await statLocal(this.#row.folder, true);
      if (folder?.kind !== 'dir') {
        throw new TierdropError('source_missing', `The synced folder ${this.#row.folder} is not there any more.`, {
          hint: 'Reconnect the disk or put the folder back, then resume the root; or remove it.',
        });
      }
      await this.#loadIgnore();
      if (!this.#running) return; // stopped while starting (the root was re-added or removed)
      this.#reconcile();
      if (watch) {
        // Watching starts before the scan so nothing changed during a long scan is missed.
        const watching = await watchFolder(
          this.#row.folder,
          (paths) => this.#onEvents(paths),
          (error) => this.#report('', new TierdropError('internal', `Watching ${this.#row.folder} failed: ${error.message}`)),
        );
        // A watcher left open would keep the process alive after the root was stopped.
        if (!this.#running) return await watching.close();
        this.#watch = watching;
      }
      await this.#fullScan();
      if (this.#running) this.#setState(watch ? 'watching' : 'stopped');
    } catch (error) {
      this.#error = toErrorInfo(error);
      this.#setState('error');
      await this.stop();
      this.#setState('error');
    } finally {
      this.#busy -= 1;
      this.#notifyIfIdle();
    }
  }

  /** Stops watching and feeding; transfers already in the engine carry on unless paused. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#settle?.dispose();
    this.#settle = null;
    const watch = this.#watch;
    this.#watch = null;
    if (watch) await watch.close();
    if (this.#state !== 'error' && this.#state !== 'paused') this.#setState('stopped');
    this.#notifyIfIdle();
  }

  /** Stops the root and pauses its transfers in the engine; remembered across restarts. */
  async pause(): Promise<void> {
    this.#row = this.#index.updateRoot(this.id, { paused: true });
    await this.stop();
    await this.deps.engine.pause([...this.#outstanding.keys()]);
    this.#setState('paused');
  }

  async resume(watch: boolean): Promise<void> {
    this.#row = this.#index.updateRoot(this.id, { paused: false });
    this.#setState('stopped');
    await this.start(watch);
  }

  /** Cancels this root's transfers (the multipart uploads are aborted) before the root is forgotten. */
  async cancelTransfers(): Promise<void> {
    await this.deps.engine.cancel([...this.#outstanding.keys()]);
    this.#outstanding.clear();
  }

  /** Resolves once the scan is done and nothing is pending, settling or uploading. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** From the manager's engine subscription: the outcome of one of this root's transfers. */
  onTransferFinished(transfer: TransferOutcome): void {
    const key = this.#outstanding.get(transfer.id);
    if (key === undefined) return;
    this.#outstanding.delete(transfer.id);
    this.#finished.push({ transfer, key });
    if (this.#finished.length === 1) void this.#track(() => this.#drainFinished());
  }

  /**
   * Records finished transfers in batches: under a stream of small files, one index commit (and
   * one refill of the engine) covers many of them.
   */
  async #drainFinished(): Promise<void> {
    // Let the transfers finishing in the same moment join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#finished.length > 0) {
      const batch = this.#finished.splice(0, WRITE_BATCH);
      const writes = new IndexWrites();
      for (const { transfer, key } of batch) {
        const entry = this.#index.getEntry(this.id, key);
        if (entry?.uploadId !== transfer.id) continue; // superseded or forgotten meanwhile
        if (transfer.state === 'done') {
          const upload = this.deps.journal.getUpload(transfer.id);
          if (upload) await this.#finalize(entry, upload, writes);
        } else {
          await this.#transferFailed(entry, transfer.error);
        }
      }
      if (writes.size > 0) {
        writes.push(() => {
          this.#row = this.#index.updateRoot(this.id, { lastSyncedAt: Date.now() });
        });
      }
      await this.#flush(writes);
      this.deps.changed(this);
    }
    await this.#feed();
  }

  // -------------------------------------------------------------------------------------------
  // After a restart: the journal's uploads tell what happened to transfers queued before it

  #reconcile(): void {
    const adopt: string[] = [];
    for (const entry of this.#index.withUpload(this.id)) {
      const uploadId = entry.uploadId;
      if (uploadId === null) continue;
      const upload = this.deps.journal.getUpload(uploadId);
      if (upload === null || upload.state === 'cancelled' || upload.state === 'failed') {
        // A failed transfer is tried once more: the cause (a store outage, a locked file) may be gone.
        this.#index.setUpload(this.id, entry.key, null);
      } else if (upload.state === 'done') {
        this.#outstanding.set(uploadId, entry.key);
        this.onTransferFinished({ id: uploadId, state: 'done', error: null });
      } else {
        this.#outstanding.set(uploadId, entry.key);
        adopt.push(uploadId);
      }
    }
    if (adopt.length > 0) this.deps.engine.resume(adopt);
  }

  // -------------------------------------------------------------------------------------------
  // Scanning

  async #fullScan(): Promise<void> {
    if (this.#scanning) {
      this.#rescanAgain = true;
      return;
    }
    this.#scanning = true;
    this.#setState('scanning');
    try {
      do {
        this.#rescanAgain = false;
        await this.#scanOnce();
      } while (this.#rescanAgain && this.#running);
    } finally {
      this.#scanning = false;
      this.#notifyIfIdle();
    }
  }

  async #scanOnce(): Promise<void> {
    const scanNo = this.#row.scanNo + 1;
    const remote = this.#row.listedAt === null ? await this.#listDestination() : null;
    const failedFolders: string[] = [];
    const writes = new IndexWrites();
    let walked: WalkItem[] = [];
    const considerWalked = async (): Promise<void> => {
      const items = walked;
      walked = [];
      const prints = this.#index.getPrints(this.id, items.flatMap((item) => (item.kind === 'file' ? [item.key] : [])));
      for (const item of items) {
        const known = prints.get(item.key);
        if (item.kind === 'file' && known !== undefined && known.status !== 'failed' && known.localPath === item.localPath && samePrint(known, item.print)) {
          writes.seen(item.key, scanNo); // unchanged since it was synced or queued: what most of a rescan is
        } else {
          await this.#consider(item, scanNo, remote, writes, known === undefined ? null : undefined);
        }
        if (writes.size >= WRITE_BATCH) await this.#flush(writes);
      }
    };
    for await (const item of walkRoot(this.#row.folder, '', { ignore: this.#ignore, followSymlinks: this.#row.followSymlinks })) {
      if (!this.#running) return;
      if (item.kind === 'problem' && item.isFolder) failedFolders.push(item.key);
      walked.push(item);
      if (walked.length >= LOOKUP_BATCH) await considerWalked();
    }
    await considerWalked();
    await this.#flush(writes);
    await this.#removeUnseen(scanNo, failedFolders);
    this.#row = this.#index.updateRoot(this.id, { scanNo, ...(remote === null ? {} : { listedAt: Date.now() }) });
    this.deps.changed(this);
  }

  /**
   * The destination's listing, read once per root (its first scan) so files already there with
   * the same bytes are adopted instead of sent again. Held in memory for that one scan only.
   */
  async #listDestination(): Promise<Map<string, ObjectMeta> | null> {
    const store = this.deps.store(this.#row.destination);
    const listing = new Map<string, ObjectMeta>();
    try {
      for await (const meta of store.backend.list(store.prefix)) listing.set(meta.key.slice(store.prefix.length), meta);
    } catch (error) {
      this.#report('', error);
      return null;
    }
    return listing;
  }

  async #flush(writes: IndexWrites): Promise<void> {
    const run = writes.take(this.#index, this.id);
    if (run === null) return;
    this.#index.batch(run);
    await this.#feed();
  }

  /**
   * Compares one walked file with its index entry (looked up here unless the caller looked up a
   * batch) and queues the index write that follows.
   */
  async #consider(
    item: WalkItem,
    scanNo: number,
    remote: Map<string, ObjectMeta> | null,
    writes: IndexWrites,
    lookedUp?: SyncEntryRow | null,
  ): Promise<void> {
    if (item.kind === 'problem') {
      this.#report(item.localPath, item.error);
      return;
    }
    const { key, localPath, print } = item;
    const seen = { key, localPath, ...print };
    const entry = lookedUp === undefined ? this.#index.getEntry(this.id, key) : lookedUp;
    if (entry === null) {
      const twin = this.#index.caseTwin(this.id, key);
      if (twin !== null) {
        this.#report(localPath, new TierdropError('conflict', `"${key}" and "${twin}" differ only in case; both are uploaded, but a case-insensitive disk cannot hold both.`, {
          hint: 'Rename one of them if this folder is ever restored on macOS or Windows.',
        }));
      }
      const adopted = remote === null ? null : await this.#adoptRemote(item, remote.get(key));
      if (adopted !== null) writes.push(() => this.#index.markSynced(this.id, seen, adopted.sha256, adopted.etag, scanNo));
      else writes.push(() => this.#index.markPending(this.id, seen, scanNo));
      return;
    }
    if (entry.localPath !== localPath && (await this.#stillThere(entry.localPath))) {
      // Two names that only differ in Unicode normalisation map to one key: keep the first.
      this.#report(localPath, new TierdropError('conflict', `${join(this.#row.folder, localPath)} and ${entry.localPath} are stored under the same key "${key}"; the second was skipped.`, {
        hint: 'Rename one of them.',
      }));
      return;
    }
    const unchanged = samePrint(entry, print) && entry.localPath === localPath;
    if (entry.status === 'synced') {
      if (unchanged) {
        writes.seen(key, scanNo);
        return;
      }
      // Stat first; the hash is read only when the size is the same and only the mtime or inode moved.
      if (entry.sizeBytes === print.sizeBytes && entry.contentHash !== null) {
        const hashes = await this.#hash(localPath);
        if (hashes?.sha256 === entry.contentHash) {
          const { contentHash, remoteEtag } = entry;
          writes.push(() => this.#index.markSynced(this.id, seen, contentHash, remoteEtag, scanNo));
          return;
        }
      }
      writes.push(() => this.#index.markPending(this.id, seen, scanNo));
      return;
    }
    if (entry.status === 'pending' && unchanged) {
      writes.seen(key, scanNo);
      return;
    }
    // Pending with a newer stat, or failed before: (re)queued as the file is now.
    writes.push(() => this.#index.markPending(this.id, seen, scanNo));
  }

  async #adoptRemote(item: Extract<WalkItem, { kind: 'file' }>, meta: ObjectMeta | undefined): Promise<{ sha256: string; etag: string } | null> {
    if (meta === undefined || meta.sizeBytes !== item.print.sizeBytes) return null;
    const etag = meta.etag.replaceAll('"', '');
    // Only a single-request S3 ETag is the MD5 of the bytes; anything else cannot be compared.
    if (!/^[0-9a-f]{32}$/i.test(etag)) return null;
    const hashes = await this.#hash(item.localPath);
    return hashes !== null && hashes.md5 === etag.toLowerCase() ? { sha256: hashes.sha256, etag: meta.etag } : null;
  }

  async #hash(localPath: string): Promise<{ sha256: string; md5: string } | null> {
    try {
      return await hashFile(join(this.#row.folder, localPath));
    } catch (error) {
      this.#report(localPath, error);
      return null;
    }
  }

  async #stillThere(localPath: string): Promise<boolean> {
    const found = await statLocal(join(this.#row.folder, localPath), this.#row.followSymlinks).catch(() => null);
    return found?.kind === 'file';
  }

  /** Entries the scan did not see are gone from the folder, unless a folder could not be read. */
  async #removeUnseen(scanNo: number, failedFolders: readonly string[]): Promise<void> {
    const skipped = new Set<string>();
    for (;;) {
      const page = this.#index.unseen(this.id, scanNo, PAGE).filter((entry) => !skipped.has(entry.key));
      if (page.length === 0) return;
      for (const entry of page) {
        if (failedFolders.some((folder) => folder === '' || entry.key.startsWith(`${folder}/`))) {
          this.#index.markSeen(this.id, entry.key, scanNo);
          continue;
        }
        await this.#gone(entry);
        if (this.#index.getEntry(this.id, entry.key) !== null) skipped.add(entry.key);
      }
      if (!this.#running) return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Watching

  #onEvents(localPaths: readonly string[]): void {
    for (const localPath of localPaths) {
      // Any `.tierdropignore` changed: the whole root is judged again (the walk re-reads nested ones).
      if (basename(localPath) === IGNORE_FILE_NAME) {
        void this.#track(async () => {
          await this.#loadIgnore();
          await this.#fullScan();
          if (this.#running && this.#watch) this.#setState('watching');
        });
        continue;
      }
      if (this.#ignore.ignores(keyOfLocalPath(localPath), false)) continue;
      this.#settle?.touch(localPath);
    }
    this.deps.changed(this);
  }

  /** A path stopped changing: it is a file to (re)consider, a folder to walk, or gone. */
  async #onSettled(localPath: string): Promise<void> {
    if (!this.#running) return;
    const key = keyOfLocalPath(localPath);
    let found;
    try {
      found = await statLocal(join(this.#row.folder, localPath), this.#row.followSymlinks);
    } catch (error) {
      this.#report(localPath, error);
      return;
    }
    const writes = new IndexWrites();
    const scanNo = this.#row.scanNo;
    if (found === null) {
      // An unmounted disk looks like every file deleted: never mirror that into the store.
      if ((await statLocal(this.#row.folder, true).catch(() => null))?.kind !== 'dir') {
        this.#error = new TierdropError('source_missing', `The synced folder ${this.#row.folder} is gone; nothing was deleted from the store.`, {
          hint: 'Reconnect the disk or put the folder back, then resume the root.',
        }).toInfo();
        this.#setState('error');
        await this.stop();
        return;
      }
      const entry = this.#index.getEntry(this.id, key);
      if (entry !== null) await this.#gone(entry);
      await this.#goneFolder(key);
    } else if (found.kind === 'file') {
      if (this.#ignore.ignores(key, false)) return;
      await this.#consider({ kind: 'file', localPath, key, print: found.print }, scanNo, null, writes);
    } else if (found.kind === 'dir') {
      // A folder moved in arrives as one event: everything inside it is new.
      if (this.#ignore.ignores(key, true)) return;
      for await (const item of walkRoot(this.#row.folder, localPath, { ignore: this.#ignore, followSymlinks: this.#row.followSymlinks })) {
        await this.#consider(item, scanNo, null, writes);
        if (writes.size >= WRITE_BATCH) await this.#flush(writes);
      }
    }
    await this.#flush(writes);
    await this.#feed();
  }

  async #goneFolder(folderKey: string): Promise<void> {
    let after = '';
    for (;;) {
      const page = this.#index.under(this.id, folderKey, after, PAGE);
      if (page.length === 0) return;
      for (const entry of page) await this.#gone(entry);
      after = page[page.length - 1]?.key ?? after;
    }
  }

  /** A file left the folder: kept in the store by default, deleted there when the root mirrors. */
  async #gone(entry: SyncEntryRow): Promise<void> {
    if (entry.uploadId !== null) {
      this.#outstanding.delete(entry.uploadId);
      await this.deps.engine.cancel([entry.uploadId]);
    }
    // Whatever the entry's state, a transfer of it may have landed before its outcome was recorded:
    // the store follows the folder, and deleting a key that is not there is no error.
    if (this.#row.deletions === 'mirror') {
      const store = this.deps.store(this.#row.destination);
      try {
        await store.backend.delete(joinKey(store.prefix, entry.key, '/'));
      } catch (error) {
        this.#report(entry.localPath, error);
        return; // the entry stays, so the next scan tries the deletion again
      }
    }
    this.#index.deleteEntry(this.id, entry.key);
    this.deps.changed(this);
  }

  async #loadIgnore(): Promise<void> {
    let text: string | null = null;
    try {
      text = await readFile(join(this.#row.folder, IGNORE_FILE_NAME), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.#report(IGNORE_FILE_NAME, error);
    }
    this.#ignore = IgnoreMatcher.fromIgnoreFile(text);
  }

  // -------------------------------------------------------------------------------------------
  // Feeding the engine

  /** Queues pending entries until this root's window in the engine is full. */
  async #feed(): Promise<void> {
    if (this.#feeding) {
      this.#feedAgain = true;
      return;
    }
    this.#feeding = true;
    try {
      do {
        this.#feedAgain = false;
        // Refilled when half empty, so the engine is handed a few large batches, not one file at a time.
        if (this.#outstanding.size > this.deps.windowSize / 2) continue;
        while (this.#running && !this.#row.paused) {
          const room = this.deps.windowSize - this.#outstanding.size;
          if (room <= 0) break;
          const batch = this.#index.nextPending(this.id, room);
          if (batch.length === 0) break;
          await this.#queue(batch);
        }
      } while (this.#feedAgain);
    } finally {
      this.#feeding = false;
      this.deps.changed(this);
      this.#notifyIfIdle();
    }
  }

  async #queue(batch: readonly SyncEntryRow[]): Promise<void> {
    for (const entry of batch) await this.#noticeRemoteChange(entry);
    const files = batch.map((entry) => ({ sourcePath: join(this.#row.folder, entry.localPath), relativeKey: entry.key }));
    const added = await this.deps.engine.addSourceFiles(files, this.#row.destination);
    const problems = new Map(added.problems.map((problem) => [problem.path, problem.error]));
    const ids = [...added.ids];
    const failed: Array<{ entry: SyncEntryRow; error: ErrorInfo }> = [];
    this.#index.batch(() => {
      batch.forEach((entry, position) => {
        const problem = problems.get(files[position]?.sourcePath ?? '');
        if (problem !== undefined) {
          failed.push({ entry, error: problem });
          return;
        }
        const id = ids.shift();
        if (id === undefined) return;
        this.#index.setUpload(this.id, entry.key, id);
        this.#outstanding.set(id, entry.key);
      });
    });
    for (const { entry, error } of failed) await this.#transferFailed(entry, error);
  }

  /**
   * Another writer changed the object since our last upload: said, then overwritten, as the
   * protocol's last-writer-wins says. (Tiered storage's CAS conflict will report this at commit.)
   */
  async #noticeRemoteChange(entry: SyncEntryRow): Promise<void> {
    if (entry.remoteEtag === null) return;
    const store = this.deps.store(this.#row.destination);
    let meta: ObjectMeta | null;
    try {
      meta = await store.backend.head(joinKey(store.prefix, entry.key, '/'));
    } catch {
      return; // the upload itself will meet and report the store's trouble
    }
    if (meta !== null && meta.etag === entry.remoteEtag) return;
    const what = meta === null ? 'was deleted from the store' : 'was changed in the store';
    this.#report(entry.localPath, new TierdropError('conflict', `"${entry.key}" ${what} by another writer since Tierdrop last uploaded it; your local version replaces it (last writer wins).`, {
      hint: 'If the other version mattered, restore it from the store\'s version history.',
    }));
  }

  /** The transfer is done: the index learns what was uploaded, if the file is still that file. */
  async #finalize(entry: SyncEntryRow, upload: UploadRow, writes: IndexWrites): Promise<void> {
    const uploaded: LocalPrint = { sizeBytes: upload.sizeBytes, mtimeMs: upload.mtimeMs, inode: upload.inode };
    const path = join(this.#row.folder, entry.localPath);
    const before = await statLocal(path, true).catch(() => null);
    const hashes = before !== null && samePrint(before.print, uploaded) ? await hashFile(path).catch(() => null) : null;
    const after = hashes === null ? null : await statLocal(path, true).catch(() => null);
    if (hashes === null || after === null || !samePrint(after.print, uploaded)) {
      // Changed since it was read for the upload: it goes up again once it settles.
      this.#index.setUpload(this.id, entry.key, null);
      this.#settle?.touch(entry.localPath);
      return;
    }
    const store = this.deps.store(this.#row.destination);
    const meta = await store.backend.head(upload.key).catch(() => null);
    const synced = { key: entry.key, localPath: entry.localPath, ...uploaded };
    writes.push(() => this.#index.markSynced(this.id, synced, hashes.sha256, meta?.etag ?? null, entry.scanNo));
  }

  async #transferFailed(entry: SyncEntryRow, error: ErrorInfo | null): Promise<void> {
    const code = error?.code;
    if (code === 'source_changed') {
      this.#index.setUpload(this.id, entry.key, null);
      if (this.#settle) this.#settle.touch(entry.localPath);
      return;
    }
    if (code === 'source_missing') {
      const there = await this.#stillThere(entry.localPath);
      if (!there) {
        await this.#gone({ ...entry, uploadId: null });
        return;
      }
    }
    const info = error ?? { code: 'internal', message: 'The transfer stopped without saying why.', retryable: true };
    this.#index.markFailed(this.id, entry.key, info.code, info.message);
    this.#report(entry.localPath, info);
  }

  // -------------------------------------------------------------------------------------------
  // State, problems, idleness

  #report(localPath: string, error: unknown): void {
    const info = isErrorInfo(error) ? error : toErrorInfo(error);
    this.#problems.unshift({ path: localPath === '' ? this.#row.folder : join(this.#row.folder, localPath), error: info, at: Date.now() });
    this.#problems.splice(MAX_PROBLEMS);
    this.deps.changed(this);
  }

  #setState(state: SyncRootState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.deps.changed(this);
  }

  async #track(work: () => Promise<void>): Promise<void> {
    this.#busy += 1;
    try {
      await work();
    } catch (error) {
      this.#report('', error);
    } finally {
      this.#busy -= 1;
      this.#notifyIfIdle();
    }
  }

  #isIdle(): boolean {
    if (this.#scanning || this.#feeding || this.#busy > 0 || this.#outstanding.size > 0 || this.#finished.length > 0) return false;
    if ((this.#settle?.size ?? 0) > 0) return false;
    return !this.#running || this.#row.paused || this.#index.nextPending(this.id, 1).length === 0;
  }

  #notifyIfIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function isErrorInfo(value: unknown): value is ErrorInfo {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && 'code' in value && 'message' in value;
}
