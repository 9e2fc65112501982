// The upload engine: turns journal rows into finished objects. It owns scheduling (files in flight,
// parts in flight across all files), retries, stall detection, pause / resume / cancel, and
// progress. Every step is written to the journal before it is taken, so a crash resumes from there.
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { joinKey, type PartReceipt, type StoreBackend } from '../backends/index.js';
import type { Settings, TierdropEvent, TransferProgress, TransferState, TransferView } from '../contract/index.js';
import { TierdropError, isTierdropError, sourceError, toErrorInfo } from '../errors/index.js';
import type { Journal, NewUpload, PartPlan, PartRow, UploadRow } from '../journal/index.js';
import { Semaphore, TokenBucket } from './limits.js';
import { planUpload } from './plan.js';
import { readWholeFile, type WholeFile } from './read-whole.js';
import { ProgressMeter } from './progress.js';
import { abortReason, backoffDelayMs, sleep } from './retry.js';
import { assertUnchanged, fingerprint, openRange, sameFingerprint, sourceChanged, type Fingerprint } from './source.js';
import { ACTIVE_STATES, UNFINISHED_STATES, assertTransition } from './state.js';
import { toTransferView, type LiveProgress } from './view.js';
import { STATS_IN_FLIGHT, mapInOrder, walkSources, type SourceFile, type WalkProblem } from './walk.js';

export interface StoreHandle {
  backend: StoreBackend;
  prefix: string;
}

export interface EngineOptions {
  journal: Journal;
  /** Opens (or returns the cached) store of a destination URL; throws `invalid_input` for a bad URL. */
  openStore: (destination: string) => StoreHandle;
  settings: () => Settings;
  progressIntervalMs?: number;
}

export interface AddResult {
  ids: string[];
  problems: WalkProblem[];
}

type StopReason = 'pause' | 'cancel' | 'shutdown';

interface ActiveUpload {
  id: string;
  controller: AbortController;
  stopReason: StopReason | null;
  meter: ProgressMeter;
  settled: Promise<void>;
  /** Sent in parts (held to filesInFlight), not in one request (held only by the part budget). */
  multipart: boolean;
}

const PROGRESS_INTERVAL_MS = 100; // ~10 progress batches a second in total, as the contract promises
const COMPLETE_STALL_FACTOR = 4; // assembling a large object can keep a store silent for a while
// A dropped folder is admitted in chunks: the first small, so its rows show at once, the next ones
// larger, so 10,000 files cost a handful of transactions and events rather than one per file.
const FIRST_CHUNK_FILES = 256;
const MAX_CHUNK_FILES = 2048;
const CHUNK_WAIT_MS = 30; // files found on a slow disk are not held back longer than this
const NO_PARTS = { partsDone: 0, partsTotal: 0, bytesDone: 0 }; // a file sent in one request has no part rows

export class TransferEngine {
  private readonly journal: Journal;
  private readonly openStore: (destination: string) => StoreHandle;
  private readonly settings: () => Settings;
  private readonly listeners = new Set<(event: TierdropEvent) => void>();
  /**
   * Queued uploads this engine was asked to run, in order, with their rows as last seen: only the
   * engine changes a queued row, and every change takes it out of here first.
   */
  private readonly admitted = new Map<string, UploadRow>();
  private readonly active = new Map<string, ActiveUpload>();
  /** Stored uploads whose done row waits for the journal's next batch. */
  private readonly finishing = new Set<Promise<void>>();
  private readonly partSlots: Semaphore;
  private readonly bandwidth: TokenBucket;
  private readonly progressIntervalMs: number;
  private progressTimer: NodeJS.Timeout | null = null;
  private idleWaiters: Array<() => void> = [];
  private requestSeq = 0;
  private disposed = false;

  constructor(options: EngineOptions) {
    this.journal = options.journal;
    this.openStore = options.openStore;
    this.settings = options.settings;
    this.progressIntervalMs = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
    const settings = this.settings();
    this.partSlots = new Semaphore(settings.concurrency);
    this.bandwidth = new TokenBucket(settings.bandwidthLimitBytesPerSec);
  }

  on(listener: (event: TierdropEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies changed limits to what is running. */
  applySettings(): void {
    const settings = this.settings();
    this.partSlots.resize(settings.concurrency);
    this.bandwidth.setRate(settings.bandwidthLimitBytesPerSec);
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /**
   * Queues the files and folders at `paths`; what cannot be uploaded is returned as problems.
   * Files are admitted in chunks while the walk goes on, so the first rows (and uploads) of a big
   * folder appear at once rather than after the whole walk; what was admitted stays admitted
   * whatever the rest of the walk meets.
   */
  async addFiles(paths: readonly string[], destination: string): Promise<AddResult> {
    const store = this.openStore(destination);
    const partSizeBytes = this.settings().partSizeBytes;

    const unfinished = new Map<string, UploadRow>();
    for (const row of this.journal.listUploads({ states: [...UNFINISHED_STATES, 'failed'], destination })) {
      unfinished.set(`${row.key}\0${row.sourcePath}`, row);
    }

    const admittedIds: string[] = [];
    const reused: string[] = [];
    const planProblems: WalkProblem[] = [];
    let chunk: PlannedUpload[] = [];
    let chunkLimit = FIRST_CHUNK_FILES;
    let chunkStartedMs = performance.now();
    const admitChunk = () => {
      if (chunk.length > 0) {
        admittedIds.push(...this.admit(chunk));
        this.pump();
        chunkLimit = Math.min(chunkLimit * 2, MAX_CHUNK_FILES);
      }
      chunk = [];
      chunkStartedMs = performance.now();
    };

    const walkProblems = await walkSources(paths, (file) => {
      const key = joinKey(store.prefix, file.relativeKey);
      const earlier = unfinished.get(`${key}\0${file.sourcePath}`);
      if (earlier) {
        reused.push(earlier.id);
        return;
      }
      try {
        chunk.push(planFile(destination, file.sourcePath, key, file.print, partSizeBytes));
      } catch (error) {
        planProblems.push({ path: file.sourcePath, error: toErrorInfo(error) });
      }
      if (chunk.length >= chunkLimit || performance.now() - chunkStartedMs >= CHUNK_WAIT_MS) admitChunk();
    });
    admitChunk();

    if (reused.length > 0) this.resume(reused);
    this.pump();
    return { ids: [...admittedIds, ...reused], problems: [...walkProblems, ...planProblems] };
  }

  /**
   * Queues files whose keys the caller chose (a watched folder's index decides what goes up and
   * under which key). Each file gets a new upload; deduplicating is the caller's job.
   */
  async addSourceFiles(files: readonly SourceFile[], destination: string): Promise<AddResult> {
    const store = this.openStore(destination);
    const partSizeBytes = this.settings().partSizeBytes;
    const problems: WalkProblem[] = [];
    const planned: PlannedUpload[] = [];
    const looked = await mapInOrder(files, STATS_IN_FLIGHT, (file) =>
      fingerprint(file.sourcePath).then(
        (print) => ({ print, error: null }),
        (error: unknown) => ({ print: null, error }),
      ),
    );
    files.forEach((file, index) => {
      const { print, error } = looked[index] ?? { print: null, error: null };
      try {
        if (print === null) throw error;
        planned.push(planFile(destination, file.sourcePath, joinKey(store.prefix, file.relativeKey, '/'), print, partSizeBytes));
      } catch (problem) {
        problems.push({ path: file.sourcePath, error: toErrorInfo(problem) });
      }
    });
    const ids = this.admit(planned);
    this.pump();
    return { ids, problems };
  }

  /**
   * Records planned uploads in one transaction and queues them; one event for all of them, since a
   * window parsing an event per file spent longer on 10,000 messages than on painting the rows.
   */
  private admit(planned: readonly PlannedUpload[]): string[] {
    if (planned.length === 0) return [];
    const created = this.journal.createUploads(planned);
    for (const row of created) this.admitted.set(row.id, row);
    this.emit({ type: 'transfers.added', transfers: created.map((row) => this.view(row)) });
    return created.map((row) => row.id);
  }

  /**
   * Called once at start: rows a crashed process left in an active state go back to the queue.
   * Returns them and every other unfinished upload, so the caller can decide what to run.
   */
  recover(): { interrupted: string[]; queued: string[]; paused: string[] } {
    const interrupted: string[] = [];
    for (const row of this.journal.listUploads({ states: [...ACTIVE_STATES] })) {
      if (this.active.has(row.id)) continue;
      this.journal.updateUpload(row.id, { state: 'queued' });
      interrupted.push(row.id);
    }
    const queued = this.journal.listUploads({ states: ['queued'] }).map((row) => row.id);
    const paused = this.journal.listUploads({ states: ['paused'] }).map((row) => row.id);
    return { interrupted, queued, paused };
  }

  /** Lets queued or paused uploads run again. */
  resume(ids: readonly string[]): string[] {
    const waiting: UploadRow[] = [];
    for (const id of ids) {
      const row = this.journal.getUpload(id);
      if (!row || this.active.has(id)) continue;
      if (row.state === 'paused' || row.state === 'queued') waiting.push(row);
    }
    for (const row of this.transitionAll(waiting, 'queued')) this.admitted.set(row.id, row);
    this.pump();
    return waiting.map((row) => row.id);
  }

  /** Failed uploads go back to the queue with their acknowledged parts kept. */
  retry(ids: readonly string[]): string[] {
    const retried: string[] = [];
    for (const id of ids) {
      const row = this.journal.getUpload(id);
      if (!row || row.state !== 'failed') continue;
      const queued = this.journal.updateUpload(id, { state: 'queued', errorCode: null, errorMessage: null, errorRetryable: false });
      this.emit({ type: 'transfer.updated', transfer: this.view(queued) });
      this.admitted.set(id, queued);
      retried.push(id);
    }
    this.pump();
    return retried;
  }

  /** Stops uploads at once: in-flight requests are aborted, acknowledged parts are kept. */
  async pause(ids: readonly string[]): Promise<string[]> {
    const paused: string[] = [];
    const stopping: Promise<void>[] = [];
    const queued: UploadRow[] = [];
    for (const id of ids) {
      const active = this.active.get(id);
      if (active) {
        stopping.push(this.stop(active, 'pause'));
        paused.push(id);
        continue;
      }
      const row = this.journal.getUpload(id);
      if (row?.state === 'queued') {
        this.admitted.delete(id);
        queued.push(row);
        paused.push(id);
      }
    }
    this.transitionAll(queued, 'paused');
    await Promise.all(stopping);
    return paused;
  }

  async pauseAll(): Promise<string[]> {
    const ids = [...this.active.keys(), ...this.admitted.keys()];
    return this.pause(ids);
  }

  resumeAll(): string[] {
    return this.resume(this.journal.listUploads({ states: ['paused', 'queued'] }).map((row) => row.id));
  }

  /** Cancels uploads: the multipart upload is aborted in the store, so nothing is left behind. */
  async cancel(ids: readonly string[]): Promise<string[]> {
    const cancelled: string[] = [];
    for (const id of ids) {
      const active = this.active.get(id);
      if (active) await this.stop(active, 'cancel');
      this.admitted.delete(id);
      const row = this.journal.getUpload(id);
      if (!row || row.state === 'done' || row.state === 'cancelled') continue;
      if (row.backendUploadId !== null) {
        const store = this.openStore(row.destination);
        const uploadId = row.backendUploadId;
        await this.withRetries(new AbortController().signal, { count: 0 }, () => store.backend.abort(row.key, uploadId));
      }
      this.journal.transaction(() => {
        this.journal.replaceParts(id, []);
        this.journal.updateUpload(id, { state: 'cancelled', backendUploadId: null });
      });
      this.emitUpdated(id);
      cancelled.push(id);
    }
    this.notifyIfIdle();
    return cancelled;
  }

  /** Resolves when nothing is running or waiting to run in this engine. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops everything; interrupted uploads go back to the queue for the next start. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.admitted.clear();
    await Promise.all([...this.active.values()].map((active) => this.stop(active, 'shutdown')));
    await Promise.all([...this.finishing]);
    this.stopProgressTimer();
    this.notifyIfIdle();
  }

  // -------------------------------------------------------------------------------------------
  // Views

  view(row: UploadRow): TransferView {
    return toTransferView(row, row.partSizeBytes === 0 ? NO_PARTS : this.journal.partProgress(row.id), this.live(row.id));
  }

  list(states?: TransferState[]): TransferView[] {
    const parts = this.journal.partProgressByUpload();
    const none = { partsDone: 0, partsTotal: 0, bytesDone: 0 };
    return this.journal
      .listUploads(states ? { states } : undefined)
      .map((row) => toTransferView(row, parts.get(row.id) ?? none, this.live(row.id)));
  }

  private live(id: string): LiveProgress | null {
    const active = this.active.get(id);
    if (!active) return null;
    return { bytesDone: active.meter.bytesDone, speedBytesPerSec: active.meter.speed, etaSeconds: active.meter.etaSeconds };
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  private pump(): void {
    if (this.disposed) return;
    const { filesInFlight, concurrency } = this.settings();
    // A file sent in one request holds one part slot while it sends, so as many of them as there
    // are slots may be in flight; files sent in parts are held to filesInFlight.
    const maxActive = Math.max(filesInFlight, concurrency);
    let multipartActive = 0;
    for (const active of this.active.values()) if (active.multipart) multipartActive += 1;
    // Iterating the map itself (deleting the entry just visited is safe) keeps a pump O(started),
    // not O(queue): with 10,000 queued files, copying the set on every pump was quadratic.
    for (const [id, row] of this.admitted) {
      if (this.active.size >= maxActive) break;
      if (row.partSizeBytes !== 0 && multipartActive >= filesInFlight) break;
      this.admitted.delete(id);
      if (row.partSizeBytes !== 0) multipartActive += 1;
      this.start(row);
    }
    this.notifyIfIdle();
  }

  private start(row: UploadRow): void {
    const progress = row.partSizeBytes === 0 ? NO_PARTS : this.journal.partProgress(row.id);
    const active: ActiveUpload = {
      id: row.id,
      controller: new AbortController(),
      stopReason: null,
      meter: new ProgressMeter(row.sizeBytes, progress.bytesDone),
      settled: Promise.resolve(),
      multipart: row.partSizeBytes !== 0,
    };
    this.active.set(row.id, active);
    this.startProgressTimer();
    active.settled = this.run(active, row).finally(() => {
      this.active.delete(row.id);
      if (this.active.size === 0) this.stopProgressTimer();
      this.pump();
    });
  }

  private async stop(active: ActiveUpload, reason: StopReason): Promise<void> {
    active.stopReason ??= reason;
    active.controller.abort(new TierdropError('paused', 'The transfer was stopped.', { retryable: true }));
    await active.settled;
  }

  private isIdle(): boolean {
    return this.active.size === 0 && this.admitted.size === 0 && this.finishing.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // -------------------------------------------------------------------------------------------
  // Running one upload

  private async run(active: ActiveUpload, initial: UploadRow): Promise<void> {
    const signal = active.controller.signal;
    let row = initial;
    try {
      const store = this.openStore(row.destination);
      // A file sent in one request is read, then checked against its row: one stat per file, and
      // no preparing state to show. Any other file, or one that changed since it was queued, is
      // prepared: re-planned when it changed, then initiated.
      let whole = row.partSizeBytes === 0 ? await this.readWhole(active, row) : null;
      if (whole === null) {
        row = this.transition(row, 'preparing');
        row = await this.refreshPlanIfChanged(row, store);
        if (row.partSizeBytes === 0) {
          whole = await this.readWhole(active, row);
          if (whole === null) throw sourceChanged(row.sourcePath);
        }
      }
      row = whole !== null ? await this.putWhole(active, row, store, whole) : await this.putMultipart(active, row, store);
      this.finish(row);
    } catch (error) {
      const current = this.journal.getUpload(row.id) ?? row;
      if (signal.aborted && active.stopReason !== null) {
        // Pausing, cancelling or shutting down: what was acknowledged is in the journal already.
        if (active.stopReason === 'pause') this.transition(current, 'paused');
        else if (active.stopReason === 'shutdown') this.transition(current, 'queued');
        return;
      }
      this.fail(current.id, error);
    }
  }

  /**
   * Everything is stored: the done row is written with the other files finishing about now, in
   * one commit, and listeners hear of it once it is in the journal. The file's slot is free at
   * once; whenIdle waits for the write.
   */
  private finish(row: UploadRow): void {
    assertTransition(row.state, 'done');
    const written = this.journal.setStateBatched(row, 'done').then(
      (done) => {
        this.emit({ type: 'transfer.updated', transfer: this.view(done) });
        this.emit({ type: 'transfer.finished', transfer: this.view(done) });
      },
      (error: unknown) => {
        try {
          this.fail(row.id, error);
        } catch {
          // The journal cannot be written at all: the next write surfaces that to its caller.
        }
      },
    );
    const tracked: Promise<void> = written.finally(() => {
      this.finishing.delete(tracked);
      this.notifyIfIdle();
    });
    this.finishing.add(tracked);
  }

  private fail(id: string, error: unknown): void {
    const info = toErrorInfo(error);
    const failed = this.journal.updateUpload(id, {
      state: 'failed',
      errorCode: info.code,
      errorMessage: info.message,
      errorRetryable: info.retryable,
    });
    this.emit({ type: 'transfer.updated', transfer: this.view(failed) });
    this.emit({ type: 'transfer.finished', transfer: this.view(failed) });
  }

  /**
   * The source changed after it was queued (or while paused, or before a crash): nothing of it has
   * been committed, so the upload starts over with the file as it is now.
   */
  private async refreshPlanIfChanged(row: UploadRow, store: StoreHandle): Promise<UploadRow> {
    const current = await fingerprint(row.sourcePath);
    if (sameFingerprint(current, { sizeBytes: row.sizeBytes, mtimeMs: row.mtimeMs, inode: row.inode })) return row;
    if (row.backendUploadId !== null) {
      const uploadId = row.backendUploadId;
      await this.withRetries(new AbortController().signal, { count: 0 }, () => store.backend.abort(row.key, uploadId));
    }
    const plan = planUpload(current.sizeBytes, this.settings().partSizeBytes);
    return this.journal.transaction(() => {
      this.journal.replaceParts(row.id, plan.parts);
      return this.journal.updateUpload(row.id, {
        sizeBytes: current.sizeBytes,
        mtimeMs: current.mtimeMs,
        inode: current.inode,
        partSizeBytes: plan.partSizeBytes,
        backendUploadId: null,
      });
    });
  }

  /**
   * The whole file, or null when it is no longer the file its row describes. Read first and
   * fingerprinted after, so a file changing mid-read is never sent.
   */
  private async readWhole(active: ActiveUpload, row: UploadRow): Promise<Buffer | null> {
    const signal = active.controller.signal;
    let whole: WholeFile;
    try {
      whole = await readWholeFile(row.sourcePath, row.sizeBytes, signal);
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      throw sourceError(row.sourcePath, error);
    }
    const planned = { sizeBytes: row.sizeBytes, mtimeMs: row.mtimeMs, inode: row.inode };
    return whole.bytes.length === row.sizeBytes && sameFingerprint(whole.fingerprint, planned) ? whole.bytes : null;
  }

  /** One request, of bytes read whole before. */
  private async putWhole(active: ActiveUpload, row: UploadRow, store: StoreHandle, bytes: Buffer): Promise<UploadRow> {
    const signal = active.controller.signal;
    const updated = this.transition(row, 'uploading');
    // One request is one slot of the shared budget, the same as one part of a large file.
    const release = await this.partSlots.acquire(signal);
    try {
      await this.withRetries(signal, { count: 0 }, async () => {
        if (this.bandwidth.enabled) await this.bandwidth.take(bytes.length, signal);
        await store.backend.put(row.key, bytes, { contentLength: bytes.length, signal });
      });
    } finally {
      release();
    }
    active.meter.settle(0, bytes.length);
    return updated;
  }

  private async putMultipart(active: ActiveUpload, row: UploadRow, store: StoreHandle): Promise<UploadRow> {
    const signal = active.controller.signal;
    const failures = { count: 0 };
    const print = { sizeBytes: row.sizeBytes, mtimeMs: row.mtimeMs, inode: row.inode };
    let uploadId = row.backendUploadId;

    if (uploadId !== null) {
      const known = uploadId;
      try {
        await this.withRetries(signal, failures, () => store.backend.listParts(row.key, known));
      } catch (error) {
        // The store forgot the upload (expired, or aborted by a lifecycle rule): start it again.
        if (!isTierdropError(error, 'not_found')) {
          if (signal.aborted || (isTierdropError(error) && error.retryable)) throw error;
        } else {
          const parts = this.journal.listParts(row.id);
          if (parts.every((part) => part.state === 'sent') && (await this.assembled(store, row, parts))) {
            // Stopped after the store assembled the object but before the journal heard of it.
            return this.transition(this.transition(this.requireRow(row.id), 'uploading'), 'completing');
          }
          this.journal.transaction(() => {
            this.journal.resetParts(row.id);
            this.journal.updateUpload(row.id, { backendUploadId: null });
          });
          active.meter = new ProgressMeter(row.sizeBytes, 0);
          uploadId = null;
        }
      }
    }
    if (uploadId === null) {
      const created = await this.withRetries(signal, failures, () => store.backend.initiate(row.key));
      this.journal.updateUpload(row.id, { backendUploadId: created });
      uploadId = created;
    }

    let current = this.transition(this.requireRow(row.id), 'uploading');
    const pending = this.journal.listParts(row.id).filter((part) => part.state === 'pending');
    await this.sendParts(active, current, store, uploadId, pending, print);

    current = this.transition(this.requireRow(row.id), 'completing');
    await assertUnchanged(row.sourcePath, print);
    const receipts = this.journal.listParts(row.id).map((part) => {
      if (part.state !== 'sent' || part.etag === null) {
        throw new TierdropError('internal', `Part ${part.partNo} of ${row.key} was not acknowledged before completing.`);
      }
      return { partNo: part.partNo, etag: part.etag, sizeBytes: part.lengthBytes, checksum: part.checksum };
    });
    const finalUploadId = uploadId;
    let attempted = false;
    // A tiered store assembles the parts, then commits them with a tombstone: the second step is
    // shown on its own, and a retry that reaches it again stays there (a same-state transition).
    const onCommitting = (): void => {
      current = this.transition(current, 'committing');
    };
    await this.withRetries(signal, failures, async () => {
      const failure = await store.backend.complete(row.key, finalUploadId, receipts, { onCommitting }).catch(async (error: unknown) => {
        // A retry after an answer we never saw: the upload may already have been assembled.
        if (attempted && isTierdropError(error, 'not_found') && (await this.assembled(store, row, this.journal.listParts(row.id)))) {
          return null;
        }
        throw error;
      });
      attempted = true;
      if (failure) throw new TierdropError(failure.code, `Completing ${row.key} failed: ${failure.message}`, { retryable: failure.retryable });
    }, COMPLETE_STALL_FACTOR);
    return current;
  }

  /**
   * Whether the object at the key is the one these parts make. Where part ETags are MD5s (S3 and
   * the local folder), the store's multipart ETag is MD5(part MD5s)-N and can be checked exactly.
   */
  private async assembled(store: StoreHandle, row: UploadRow, parts: PartRow[]): Promise<boolean> {
    const meta = await store.backend.head(row.key);
    if (meta === null || meta.sizeBytes !== row.sizeBytes) return false;
    const expected = multipartEtag(parts.map((part) => part.etag ?? ''));
    if (expected !== null) return meta.etag.replaceAll('"', '') === expected;
    return meta.lastModifiedMs >= row.createdAt;
  }

  /** Sends parts through the shared budget; the first hard failure stops this file's other parts. */
  private async sendParts(
    active: ActiveUpload,
    row: UploadRow,
    store: StoreHandle,
    uploadId: string,
    pending: PartRow[],
    print: Fingerprint,
  ): Promise<void> {
    const parts = new AbortController();
    const onStop = () => parts.abort(abortReason(active.controller.signal));
    active.controller.signal.addEventListener('abort', onStop, { once: true });
    const failures = { count: 0 };
    const running = new Set<Promise<void>>();
    let firstError: unknown = null;
    try {
      for (const part of pending) {
        let release: () => void;
        try {
          release = await this.partSlots.acquire(parts.signal);
        } catch {
          break;
        }
        const task: Promise<void> = this.sendPart(active, row, store, uploadId, part, print, parts.signal, failures)
          .catch((error: unknown) => {
            if (firstError === null) {
              firstError = error;
              parts.abort(error);
            }
          })
          .finally(() => {
            release();
            running.delete(task);
          });
        running.add(task);
      }
      await Promise.all(running);
    } finally {
      active.controller.signal.removeEventListener('abort', onStop);
    }
    if (active.controller.signal.aborted) throw abortReason(active.controller.signal);
    if (firstError !== null) throw firstError;
  }

  private async sendPart(
    active: ActiveUpload,
    row: UploadRow,
    store: StoreHandle,
    uploadId: string,
    part: PartRow,
    print: Fingerprint,
    signal: AbortSignal,
    failures: { count: number },
  ): Promise<void> {
    const settings = this.settings();
    for (;;) {
      await assertUnchanged(row.sourcePath, print);
      const requestId = ++this.requestSeq;
      const request = new AbortController();
      const onStop = () => request.abort(abortReason(signal));
      signal.addEventListener('abort', onStop, { once: true });
      const body = openRange(row.sourcePath, part.offsetBytes, part.lengthBytes, {
        bandwidth: this.bandwidth,
        onBytes: (bytes) => active.meter.setInFlight(requestId, bytes),
        signal: request.signal,
      });
      const watchdog = this.watchStall(request, () => body.lastByteAtMs, settings.stallTimeoutMs);
      let receipt: PartReceipt | undefined;
      try {
        receipt = await store.backend.uploadPart(row.key, uploadId, part.partNo, body, part.lengthBytes, request.signal);
        if (body.shortRead) throw body.shortRead;
      } catch (error) {
        active.meter.settle(requestId, 0);
        body.destroy();
        if (signal.aborted) throw abortReason(signal);
        const cause = body.shortRead ?? (request.signal.aborted ? abortReason(request.signal) : error);
        await this.backOffOrThrow(cause, failures, signal);
        continue;
      } finally {
        clearInterval(watchdog);
        signal.removeEventListener('abort', onStop);
      }
      // The part went up while it was read from disk, so a write inside its range shows only in
      // the fingerprint: check it again before the part counts as acknowledged (not retried).
      await assertUnchanged(row.sourcePath, print);
      this.journal.markPartSent(row.id, part.partNo, receipt.etag, receipt.checksum);
      active.meter.settle(requestId, part.lengthBytes);
      failures.count = 0;
      return;
    }
  }

  /** Runs `call` until it succeeds, a non-retryable error comes, or attempts run out. */
  private async withRetries<T>(
    signal: AbortSignal,
    failures: { count: number },
    call: (signal: AbortSignal) => Promise<T>,
    stallFactor = 1,
  ): Promise<T> {
    const settings = this.settings();
    for (;;) {
      if (signal.aborted) throw abortReason(signal);
      const request = new AbortController();
      const onStop = () => request.abort(abortReason(signal));
      signal.addEventListener('abort', onStop, { once: true });
      const startedAtMs = Date.now();
      const watchdog = this.watchStall(request, () => startedAtMs, settings.stallTimeoutMs * stallFactor);
      try {
        const value = await call(request.signal);
        failures.count = 0;
        return value;
      } catch (error) {
        if (signal.aborted) throw abortReason(signal);
        await this.backOffOrThrow(request.signal.aborted ? abortReason(request.signal) : error, failures, signal);
      } finally {
        clearInterval(watchdog);
        signal.removeEventListener('abort', onStop);
      }
    }
  }

  private async backOffOrThrow(error: unknown, failures: { count: number }, signal: AbortSignal): Promise<void> {
    const settings = this.settings();
    if (!isTierdropError(error) || !error.retryable) throw error;
    failures.count += 1;
    if (failures.count >= settings.maxAttempts) {
      throw new TierdropError(error.code, `${error.message} (gave up after ${failures.count} attempts)`, {
        retryable: true,
        hint: error.hint ?? 'Check the connection to the store, then retry.',
        cause: error,
      });
    }
    await sleep(backoffDelayMs(failures.count, { baseDelayMs: settings.retryBaseDelayMs, maxDelayMs: settings.retryMaxDelayMs }), signal);
  }

  /** Aborts `request` when no byte has moved for `stallTimeoutMs`. */
  private watchStall(request: AbortController, lastByteAtMs: () => number, stallTimeoutMs: number): NodeJS.Timeout {
    const checkEveryMs = Math.max(50, Math.min(1000, stallTimeoutMs / 4));
    const timer = setInterval(() => {
      if (Date.now() - lastByteAtMs() > stallTimeoutMs) {
        request.abort(
          new TierdropError('stalled', `No data moved for ${Math.round(stallTimeoutMs / 1000)} s; the request was restarted.`, {
            retryable: true,
            hint: 'The connection may be down or the store overloaded.',
          }),
        );
      }
    }, checkEveryMs);
    timer.unref();
    return timer;
  }

  // -------------------------------------------------------------------------------------------
  // State and events

  /**
   * Moves the upload to `to` and tells listeners. An active state only describes progress (after a
   * crash, recovery puts such rows back in the queue whatever they said), so it is written lazily
   * with the next batch; every other state is durable before this returns.
   */
  private transition(row: UploadRow, to: TransferState): UploadRow {
    if (row.state === to) return row;
    assertTransition(row.state, to);
    const updated = ACTIVE_STATES.includes(to)
      ? this.journal.setStateLazily(row, to)
      : this.journal.updateUpload(row.id, { state: to });
    this.emit({ type: 'transfer.updated', transfer: this.view(updated) });
    return updated;
  }


  /** transition for many rows in one commit ("Pause all" over 10,000 queued files), then the events. */
  private transitionAll(rows: readonly UploadRow[], to: TransferState): UploadRow[] {
    const moving = rows.filter((row) => row.state !== to);
    for (const row of moving) assertTransition(row.state, to);
    const moved = this.journal.transaction(() => moving.map((row) => this.journal.updateUpload(row.id, { state: to })));
    for (const row of moved) this.emit({ type: 'transfer.updated', transfer: this.view(row) });
    const byId = new Map(moved.map((row) => [row.id, row]));
    return rows.map((row) => byId.get(row.id) ?? row);
  }

  private requireRow(id: string): UploadRow {
    const row = this.journal.getUpload(id);
    if (!row) throw new TierdropError('internal', `Upload ${id} vanished from the journal.`);
    return row;
  }

  private emitUpdated(id: string): void {
    const row = this.journal.getUpload(id);
    if (row) this.emit({ type: 'transfer.updated', transfer: this.view(row) });
  }

  private emit(event: TierdropEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private startProgressTimer(): void {
    if (this.progressTimer) return;
    this.progressTimer = setInterval(() => this.emitProgress(), this.progressIntervalMs);
    this.progressTimer.unref();
  }

  private stopProgressTimer(): void {
    if (!this.progressTimer) return;
    clearInterval(this.progressTimer);
    this.progressTimer = null;
  }

  private emitProgress(): void {
    const items: TransferProgress[] = [];
    for (const active of this.active.values()) {
      active.meter.sample();
      items.push({
        id: active.id,
        bytesDone: active.meter.bytesDone,
        sizeBytes: active.meter.sizeBytes,
        speedBytesPerSec: active.meter.speed,
        etaSeconds: active.meter.etaSeconds,
      });
    }
    if (items.length > 0) this.emit({ type: 'transfer.progress', items });
  }
}

/** S3's ETag of a completed multipart upload, or null when the part ETags are not MD5s. */
export function multipartEtag(partEtags: readonly string[]): string | null {
  const hash = createHash('md5');
  for (const etag of partEtags) {
    const hex = etag.replaceAll('"', '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
    hash.update(Buffer.from(hex, 'hex'));
  }
  return `${hash.digest('hex')}-${partEtags.length}`;
}

interface PlannedUpload {
  upload: NewUpload;
  parts: PartPlan[];
}

/** The journal row and parts of one file to upload. Throws for a file no store accepts. */
function planFile(destination: string, sourcePath: string, key: string, print: Fingerprint, configuredPartSizeBytes: number): PlannedUpload {
  const plan = planUpload(print.sizeBytes, configuredPartSizeBytes);
  return {
    // Time-ordered ids: a folder's rows append to the journal's index instead of landing all over it.
    upload: { id: uuidv7(), destination, sourcePath, key, ...print, partSizeBytes: plan.partSizeBytes },
    parts: plan.parts,
  };
}
