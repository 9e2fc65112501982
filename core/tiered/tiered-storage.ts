// TieredStorage: one destination as two tiers behind the StoreBackend surface the engine uses.
// Small objects live inline in HV; larger ones are LT revisions that a tombstone in HV points at.
// The compare-and-write of the tombstone is the commit point; every step before and after it is
// recorded in the journal's changelog first, so a crash anywhere leaves nothing unaccounted for.
import { Readable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import type {
  Body,
  CompleteError,
  HighVolumeBackend,
  InitiateOptions,
  MultipartUploadBackend,
  ObjectMeta,
  PartReceipt,
  PutOptions,
  StoreBackend,
  StoredObject,
  UploadListing,
} from '../backends/index.js';
import type { CompleteOptions } from '../backends/types.js';
import { MiB } from '../contract/index.js';
import { TierdropError, isTierdropError } from '../errors/index.js';
import type { ChangeRow, ChangeStore } from '../journal/index.js';
import { withBackoff } from './backoff.js';
import { Changelog, type RecoveryReport } from './changelog.js';
import { probeConditionalWrites, type ConditionalWrites } from './conditional-probe.js';
import { crashPoint } from './crash-point.js';
import { readEntry, release, type Entry } from './entries.js';
import { KeyLock } from './key-lock.js';
import { TieredLayout } from './layout.js';
import { decodeTombstone, encodeTombstone, MAX_TOMBSTONE_BYTES } from './tombstone.js';
import { UploadTokens } from './token.js';

export const DEFAULT_INLINE_BELOW_BYTES = 1 * MiB; // objectstore's HV/LT boundary
/** A tombstone may be replaced between reading it and reading its revision; read again this often. */
const RESOLVE_ATTEMPTS = 3;
/** What a put expects of a key it has not read: absent, replacing nothing. */
const NEW_KEY: Expectation = { etag: null, replaced: null };
/** Weight of the newest put in keysTakenRate: the last five or so decide. */
const KEYS_TAKEN_WEIGHT = 0.2;
/** Above this share of recent puts finding their key taken, a put reads the key before writing. */
const READ_FIRST_ABOVE_RATE = 0.5;
/** LT may not show a just-assembled object at once; the metadata read after complete retries. */
const METADATA_READ_ATTEMPTS = 5;
/**
 * A commit, a cancel of the same upload and a delete of the same key take turns. Shared by every
 * TieredStorage in the process: the engine, the service and a watched folder may each open one.
 */
const keyLocks = new KeyLock();

export interface TieredStorageOptions {
  hv: HighVolumeBackend;
  lt: MultipartUploadBackend;
  /** The destination prefix (shared by both tiers). */
  prefix: string;
  /** The canonical destination URL: changes are recorded under it. */
  destination: string;
  /** The journal's changelog; null opens the destination read-only (listing, downloading). */
  changes: ChangeStore | null;
  /** Objects smaller than this are stored inline in HV. */
  inlineBelowBytes?: number;
  /** Disposed with the storage (the backend object both tiers use). */
  owned: StoreBackend[];
}

interface Writer {
  changes: ChangeStore;
  changelog: Changelog;
  tokens: UploadTokens;
}

export class TieredStorage implements StoreBackend {
  readonly description: string;
  readonly layout: TieredLayout;
  readonly hv: HighVolumeBackend;
  readonly lt: MultipartUploadBackend;
  readonly destination: string;
  private readonly inlineBelowBytes: number;
  private readonly writer: Writer | null;
  private readonly owned: StoreBackend[];
  /** Recovery of what a previous process left; every write waits for it. */
  private readonly recovery: Promise<RecoveryReport>;
  /** The conditional-write probe, run once per opened destination when first asked. */
  private conditionalProbe: Promise<ConditionalWrites> | null = null;
  /** Recent revision puts that found their key taken, as a moving average from 0 to 1. */
  private keysTakenRate = 0;

  constructor(options: TieredStorageOptions) {
    this.hv = options.hv;
    this.lt = options.lt;
    this.layout = new TieredLayout(options.prefix);
    this.destination = options.destination;
    this.inlineBelowBytes = options.inlineBelowBytes ?? DEFAULT_INLINE_BELOW_BYTES;
    this.owned = options.owned;
    this.description = `${options.hv.description} (tiered)`;
    const changes = options.changes;
    if (changes === null) {
      this.writer = null;
      this.recovery = Promise.resolve({ cleaned: 0, kept: 0, left: 0 });
      return;
    }
    const tokens = new UploadTokens(() => changes.uploadTokenKey());
    const changelog = new Changelog({
      destination: options.destination,
      store: changes,
      hv: options.hv,
      lt: options.lt,
      layout: this.layout,
      isOwned: (change) => this.isOwned(changes, tokens, change),
    });
    this.writer = { changes, changelog, tokens };
    this.recovery = changelog.recover();
    this.recovery.catch(() => undefined); // surfaced by the first write that waits for it
  }

  /** Resolves once the changes left by a previous process are finished or undone. */
  recovered(): Promise<RecoveryReport> {
    return this.recovery;
  }

  /**
   * Whether HV enforces the compare-and-write the commit relies on. A store that ignores it is
   * safe for one writer at a time only; the destination test reports that (see conditional-probe.ts).
   */
  conditionalWrites(): Promise<ConditionalWrites> {
    this.conditionalProbe ??= probeConditionalWrites(this.hv, this.layout);
    // A failed probe (the store is down) is asked again next time.
    this.conditionalProbe.catch(() => {
      this.conditionalProbe = null;
    });
    return this.conditionalProbe;
  }

  // -------------------------------------------------------------------------------------------
  // Reads: tombstones resolve to the revision they name

  async get(key: string, signal?: AbortSignal): Promise<StoredObject | null> {
    this.layout.assertLogical(key, 'download');
    for (let attempt = 1; ; attempt += 1) {
      const entry = await readEntry(this.hv, key, signal);
      if (entry.kind === 'absent') return null;
      if (entry.kind === 'inline') return entry.object;
      const stored = await this.lt.get(this.layout.revisionKey(key, entry.tombstone.revision), signal);
      if (stored !== null) return { meta: { ...stored.meta, key }, body: stored.body };
      // Replaced and cleaned up between the two reads: the tombstone now names a newer revision.
      if (attempt >= RESOLVE_ATTEMPTS) throw danglingTombstone(key, entry.tombstone.revision);
    }
  }

  async head(key: string): Promise<ObjectMeta | null> {
    this.layout.assertLogical(key, 'look up');
    for (let attempt = 1; ; attempt += 1) {
      const found = await this.hv.head(key);
      if (found === null) return null;
      if (found.sizeBytes > MAX_TOMBSTONE_BYTES) return found;
      const entry = await readEntry(this.hv, key);
      release(entry);
      if (entry.kind === 'absent') return null;
      if (entry.kind === 'inline') return entry.meta;
      const meta = await this.lt.head(this.layout.revisionKey(key, entry.tombstone.revision));
      if (meta !== null) return { ...meta, key };
      if (attempt >= RESOLVE_ATTEMPTS) throw danglingTombstone(key, entry.tombstone.revision);
    }
  }

  /** Logical objects: inline ones as they are, tombstoned ones with their revision's size. */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    for await (const meta of this.hv.list(prefix)) {
      if (this.layout.isReserved(meta.key)) continue;
      if (meta.sizeBytes > MAX_TOMBSTONE_BYTES) {
        yield meta;
        continue;
      }
      const entry = await readEntry(this.hv, meta.key);
      release(entry);
      if (entry.kind === 'absent') continue; // deleted since the listing page was read
      yield entry.kind === 'tombstone' ? { ...meta, sizeBytes: entry.tombstone.sizeBytes, etag: entry.tombstone.revision } : meta;
    }
  }

  /** Every revision a tombstone names, by key: what sweeping must keep. */
  async referencedRevisions(): Promise<Set<string>> {
    const referenced = new Set<string>();
    for await (const meta of this.hv.list(this.layout.prefix)) {
      if (this.layout.isReserved(meta.key) || meta.sizeBytes > MAX_TOMBSTONE_BYTES) continue;
      const entry = await readEntry(this.hv, meta.key);
      release(entry);
      if (entry.kind === 'tombstone') referenced.add(this.layout.revisionKey(meta.key, entry.tombstone.revision));
    }
    return referenced;
  }

  // -------------------------------------------------------------------------------------------
  // Whole-object writes

  async put(key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    this.layout.assertLogical(key, 'upload');
    const writer = await this.ready();
    if (options.contentLength < this.inlineBelowBytes) {
      const bytes = Buffer.isBuffer(body) ? body : await readAll(body, options.contentLength);
      // An inline object that reads as a tombstone would be taken for one: it goes to LT instead.
      if (decodeTombstone(bytes) === null) return this.putInline(writer, key, bytes);
      return this.putRevision(writer, key, bytes, { ...options, contentLength: bytes.length });
    }
    return this.putRevision(writer, key, body, options);
  }

  private async putInline(writer: Writer, key: string, bytes: Buffer): Promise<{ etag: string }> {
    // Most keys are new: create-if-absent first is one request, and replaces nothing, so there is
    // nothing to record. Only a key that exists is read, to learn what the write replaces.
    if ((await this.hv.compareAndWrite(key, null, bytes)) === 'written') return { etag: 'inline' };
    const entry = await readEntry(this.hv, key);
    release(entry);
    const expected = entry.kind === 'absent' ? null : entry.meta.etag;
    const replaced = entry.kind === 'tombstone' ? entry.tombstone.revision : null;
    const change =
      replaced === null ? null : writer.changelog.record({ key, oldRevision: replaced, newRevision: null, ltUploadId: null, phase: 'written' });
    crashPoint('inline.recorded');
    let outcome: 'written' | 'conflict';
    try {
      outcome = await this.hv.compareAndWrite(key, expected, bytes);
    } catch (error) {
      if (change !== null) writer.changelog.abandon(change, 'written');
      throw error;
    }
    crashPoint('inline.cas');
    // A conflict means another write landed between our read and our write: ours counts as the
    // earlier of the two, already replaced (last writer wins), and nothing of ours is left over.
    if (change !== null) await writer.changelog.settle(change, outcome, 'inline');
    // Compare-and-write answers no version, and no caller needs one: name what happened instead.
    return { etag: outcome === 'written' ? 'inline' : 'superseded' };
  }

  /**
   * A whole object as a new LT revision, committed by a tombstone. The one journal write made
   * before the put names the revision the commit expects to replace (phase Written; none for a key
   * expected to be new): recovery decides from the tombstone alone, and a commit whose expectation
   * holds needs no second write. One whose key turned out taken records what it replaces (a
   * durable write) before its second compare-and-write, so nothing it replaces goes unrecorded.
   */
  private async putRevision(writer: Writer, key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    const revision = uuidv7();
    const ltKey = this.layout.revisionKey(key, revision);
    // Most keys an upload writes are new: then the commit's create-if-absent needs no read first.
    // When recent puts mostly found their key taken (an upload done again), the read comes first.
    const readFirst = this.keysTakenRate > READ_FIRST_ABOVE_RATE;
    const expectation = readFirst ? await readExpectation(this.hv, key) : NEW_KEY;
    let change = writer.changelog.record({ key, oldRevision: expectation.replaced, newRevision: revision, ltUploadId: null, phase: 'written' });
    crashPoint('put.recorded');
    try {
      const written = await this.lt.put(ltKey, body, options);
      crashPoint('put.stored');
      const held = await this.exclusive(key, () => this.commit(writer, change, key, revision, options.contentLength, 'put', expectation));
      this.noteKeyTaken(expectation.etag !== null || !held);
      return written;
    } catch (error) {
      // Read back: a commit that found the key replaced meanwhile may have rewritten the row.
      change = writer.changes.get(change.id) ?? change;
      writer.changelog.abandon(change, 'written');
      throw error;
    }
  }

  /**
   * The commit: compare-and-writes the tombstone, the change having recorded what it replaces
   * (phase Written). Afterwards the loser of a race deletes its own revision and the winner the
   * one it replaced. With an `expectation` read (and recorded) before the revision was stored, the
   * CAS is tried on it first; when the key changed meanwhile, the commit reads it again, records
   * the new replaced revision, and tries once more, as a commit without one does. Answers whether
   * the expectation held (false without one).
   */
  private async commit(
    writer: Writer,
    recorded: ChangeRow,
    key: string,
    revision: string,
    sizeBytes: number,
    crashPrefix: string,
    expectation: Expectation | null = null,
  ): Promise<boolean> {
    const tombstone = encodeTombstone(key, revision, sizeBytes);
    if (expectation !== null) {
      const outcome = await this.hv.compareAndWrite(key, expectation.etag, tombstone);
      crashPoint(`${crashPrefix}.cas`);
      if (outcome === 'written') {
        await writer.changelog.settle(recorded, outcome, crashPrefix);
        return true;
      }
    }
    const entry = await readEntry(this.hv, key);
    release(entry);
    if (entry.kind === 'tombstone' && entry.tombstone.revision === revision) {
      // A retry after a commit whose answer was lost: it is done; finish its cleanup.
      const change = writer.changelog.advanceLazily(recorded, 'updated');
      await writer.changelog.finish(change, 'updated', crashPrefix);
      return expectation !== null;
    }
    const { etag: expected, replaced } = expectationOf(entry);
    const change = writer.changelog.advance(recorded, 'written', { oldRevision: replaced });
    crashPoint(`${crashPrefix}.written`);
    const outcome = await this.hv.compareAndWrite(key, expected, tombstone);
    crashPoint(`${crashPrefix}.cas`);
    await writer.changelog.settle(change, outcome, crashPrefix);
    return false;
  }

  /** Follows how often revision puts find their key taken (see putRevision). */
  private noteKeyTaken(taken: boolean): void {
    this.keysTakenRate += KEYS_TAKEN_WEIGHT * ((taken ? 1 : 0) - this.keysTakenRate);
  }

  async delete(key: string): Promise<void> {
    this.layout.assertLogical(key, 'delete');
    const writer = await this.ready();
    // Waits for a commit in flight: a tombstone landing between the read and the delete would be
    // removed without its revision, which nothing would name then.
    await this.exclusive(key, () => this.deleteEntry(writer, key));
  }

  private async deleteEntry(writer: Writer, key: string): Promise<void> {
    const entry = await readEntry(this.hv, key);
    release(entry);
    if (entry.kind === 'absent') return;
    if (entry.kind === 'inline') {
      await this.hv.delete(key);
      return;
    }
    const change = writer.changelog.record({ key, oldRevision: entry.tombstone.revision, newRevision: null, ltUploadId: null, phase: 'written' });
    crashPoint('delete.recorded');
    try {
      await this.hv.delete(key);
    } catch (error) {
      writer.changelog.abandon(change, 'written');
      throw error;
    }
    crashPoint('delete.removed');
    const updated = writer.changelog.advanceLazily(change, 'updated');
    crashPoint('delete.updated');
    await writer.changelog.finish(updated, 'updated', 'delete');
  }

  // -------------------------------------------------------------------------------------------
  // Multipart through the tiers: the engine holds a token, LT holds the parts

  async initiate(key: string, options: InitiateOptions = {}): Promise<string> {
    this.layout.assertLogical(key, 'start an upload of');
    const writer = await this.ready();
    const revision = uuidv7();
    const change = writer.changelog.record({ key, oldRevision: null, newRevision: revision, ltUploadId: null, phase: 'recorded' });
    crashPoint('initiate.recorded');
    let ltUploadId: string;
    try {
      ltUploadId = await this.lt.initiate(this.layout.revisionKey(key, revision), options);
    } catch (error) {
      writer.changelog.abandon(change, 'recorded');
      throw error;
    }
    // From here the change belongs to the upload: nothing cleans it up until it completes or aborts.
    writer.changelog.advance(change, 'assembling', { ltUploadId });
    return writer.tokens.sign({ key, revision, ltUploadId });
  }

  async uploadPart(key: string, token: string, partNo: number, body: Body, lengthBytes: number, signal?: AbortSignal): Promise<PartReceipt> {
    const { revision, ltUploadId } = (await this.ready()).tokens.verify(token, key);
    return this.lt.uploadPart(this.layout.revisionKey(key, revision), ltUploadId, partNo, body, lengthBytes, signal);
  }

  /**
   * When LT has already assembled the revision (a complete whose answer was lost, or a crash
   * before the commit), its parts are no longer listable but nothing needs sending either: the
   * answer is an empty list, and the engine's next complete goes straight to the commit.
   */
  async listParts(key: string, token: string): Promise<PartReceipt[]> {
    const { revision, ltUploadId } = (await this.ready()).tokens.verify(token, key);
    const ltKey = this.layout.revisionKey(key, revision);
    try {
      return await this.lt.listParts(ltKey, ltUploadId);
    } catch (error) {
      if (isTierdropError(error, 'not_found') && (await this.lt.head(ltKey)) !== null) return [];
      throw error;
    }
  }

  /**
   * Cancels an upload. Before its commit, the revision is deleted. Once the commit has started it
   * is too late to undo: a commit in flight is waited for, one that landed stands (the cancel is a
   * no-op for the store), and one whose answer was lost is left to the cleanup, which decides from
   * the tombstone once a late write could no longer land (issue 4).
   */
  async abort(key: string, token: string): Promise<void> {
    const writer = await this.ready();
    const { revision, ltUploadId } = writer.tokens.verify(token, key);
    await this.exclusive(key, async () => {
      const current = await readEntry(this.hv, key);
      release(current);
      const change = writer.changelog.forRevision(key, revision);
      if (current.kind === 'tombstone' && current.tombstone.revision === revision) {
        // Committed: the object is the key's current one. A complete that failed after its CAS
        // landed leaves the replaced revision to delete.
        if (change !== null) await writer.changelog.finish(writer.changelog.advanceLazily(change, 'updated'), 'updated', 'abort');
        return;
      }
      if (change?.phase === 'written') {
        // The CAS was sent and its answer never came: it may still land and name this revision.
        writer.changelog.abandon(change, 'written');
        return;
      }
      const ltKey = this.layout.revisionKey(key, revision);
      await this.lt.abort(ltKey, ltUploadId);
      await this.lt.delete(ltKey);
      // A complete the caller gave up on may still assemble the revision: the change stays until the
      // late-write window has closed, and its cleanup (deciding from the tombstone) deletes it again.
      if (change !== null) writer.changelog.abandon(change, 'recovered');
    });
  }

  /**
   * Idempotent: a tombstone already naming this revision is success; an LT object already
   * assembled goes straight to the commit. A failure leaves the change in place for the retry.
   */
  async complete(key: string, token: string, parts: PartReceipt[], options: CompleteOptions = {}): Promise<CompleteError | null> {
    const writer = await this.ready();
    const { revision, ltUploadId } = writer.tokens.verify(token, key);
    return this.exclusive(key, () => this.completeRevision(writer, key, revision, ltUploadId, parts, options));
  }

  private async completeRevision(
    writer: Writer,
    key: string,
    revision: string,
    ltUploadId: string,
    parts: PartReceipt[],
    options: CompleteOptions,
  ): Promise<CompleteError | null> {
    const ltKey = this.layout.revisionKey(key, revision);
    const current = await readEntry(this.hv, key);
    release(current);
    let change = writer.changelog.forRevision(key, revision);
    if (current.kind === 'tombstone' && current.tombstone.revision === revision) {
      if (change !== null) await writer.changelog.finish(writer.changelog.advanceLazily(change, 'updated'), 'updated', 'complete');
      return null;
    }
    // Recovery (or an abort) may have removed the change; the revision is this upload's, so record it again.
    change ??= writer.changelog.record({ key, oldRevision: null, newRevision: revision, ltUploadId, phase: 'assembling' });
    if (change.phase === 'recorded' || change.phase === 'assembling') {
      crashPoint('complete.assembling');
      const failure = await this.lt.complete(ltKey, ltUploadId, parts);
      // A lost answer to an earlier complete: the upload is gone because the object was assembled.
      if (failure !== null && !(failure.code === 'not_found' && (await this.lt.head(ltKey)) !== null)) return failure;
      crashPoint('complete.assembled');
    }
    const meta = await this.readAssembled(ltKey);
    options.onCommitting?.();
    await this.commit(writer, change, key, revision, meta.sizeBytes, 'complete');
    return null;
  }

  async *listUploads(prefix: string): AsyncIterable<UploadListing> {
    for await (const upload of this.lt.listUploads(this.layout.ltRoot)) {
      const parsed = this.layout.parseRevisionKey(upload.key);
      if (parsed !== null && parsed.key.startsWith(prefix)) yield { ...upload, key: parsed.key };
    }
  }

  async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    this.layout.assertLogical(key, 'write');
    return this.hv.compareAndWrite(key, expected, value);
  }

  async dispose(): Promise<void> {
    await this.recovery.catch(() => undefined);
    await this.writer?.changelog.dispose();
    await Promise.all(this.owned.map((backend) => backend.dispose()));
  }

  // -------------------------------------------------------------------------------------------

  /** Runs `section` once no other commit, cancel or delete of `key` is running in this process. */
  private exclusive<T>(key: string, section: () => Promise<T>): Promise<T> {
    return keyLocks.run(`${this.destination}\n${key}`, section);
  }

  private async ready(): Promise<Writer> {
    if (this.writer === null) {
      throw new TierdropError('internal', `${this.description} was opened read-only (without a journal), so it cannot be written.`);
    }
    await this.recovery;
    return this.writer;
  }

  /** The assembled object's metadata; a store slow to show it gets a few tries before we give up. */
  private async readAssembled(ltKey: string): Promise<ObjectMeta> {
    let found: ObjectMeta | null = null;
    let lastError: unknown = null;
    const stop = new AbortController();
    await withBackoff(
      async () => {
        try {
          found = await this.lt.head(ltKey);
        } catch (error) {
          lastError = error;
          throw error;
        }
        if (found === null) throw new TierdropError('store_error', `The assembled object ${ltKey} is not visible yet.`, { retryable: true });
      },
      stop.signal,
      METADATA_READ_ATTEMPTS,
    );
    if (found !== null) return found;
    if (isTierdropError(lastError)) throw lastError;
    throw new TierdropError('store_error', `The store completed the upload of ${ltKey} but does not show the object.`, { retryable: true });
  }

  private isOwned(changes: ChangeStore, tokens: UploadTokens, change: ChangeRow): boolean {
    if (change.newRevision === null || change.ltUploadId === null) return false;
    return changes.isTokenHeld(tokens.sign({ key: change.key, revision: change.newRevision, ltUploadId: change.ltUploadId }));
  }
}

/** What a commit expects to find at its key: the version to compare with, and the revision it replaces. */
interface Expectation {
  etag: string | null;
  replaced: string | null;
}

function expectationOf(entry: Entry): Expectation {
  return {
    etag: entry.kind === 'absent' ? null : entry.meta.etag,
    replaced: entry.kind === 'tombstone' ? entry.tombstone.revision : null,
  };
}

async function readExpectation(hv: HighVolumeBackend, key: string): Promise<Expectation> {
  const entry = await readEntry(hv, key);
  release(entry);
  return expectationOf(entry);
}

function danglingTombstone(key: string, revision: string): TierdropError {
  return new TierdropError('store_error', `"${key}" points at revision ${revision}, which the store does not hold.`, {
    retryable: true,
    hint: 'Another writer may be replacing it right now; try again.',
  });
}

async function readAll(body: Readable, expectedBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== expectedBytes) {
    throw new TierdropError('invalid_input', `The body was ${bytes.length} bytes, not the ${expectedBytes} declared.`);
  }
  return bytes;
}

