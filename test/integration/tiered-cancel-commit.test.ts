// A cancel or a delete that meets a commit in flight (issue 4): whatever the moment, the key must
// resolve to the old object or the new one, whole, and no revision may be left that nothing names.
// The tombstone's compare-and-write is slowed by the S3 test server (or by a slow local folder).
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FsBackend, S3Backend, type HighVolumeBackend, type StoreBackend, type StoredObject } from '../../core/backends/index.js';
import { KiB } from '../../core/contract/index.js';
import { TierdropError } from '../../core/errors/index.js';
import { Journal } from '../../core/journal/index.js';
import { TieredStorage } from '../../core/tiered/index.js';
import { tempDir } from '../support/files.js';
import { waitFor } from '../support/service.js';
import { useS3World } from '../support/s3-world.js';

/** How long the store sits on the tombstone before it compares and writes: time enough to cancel. */
const COMMIT_DELAY_MS = 1_500;
/** The client gives up on a compare-and-write sooner than the store commits it, as a stalled request would. */
const GIVE_UP_MS = 500;
/** Longer than the commit delay, so that the delete's request is sent after the tombstone lands. */
const DELETE_DELAY_MS = COMMIT_DELAY_MS + 1_000;
/** The late-write window (3 s) plus room for a loaded machine. */
const CLEANUP_TIMEOUT_MS = 20_000;

/** An HV whose deletes wait before they are sent, as a slow network would make them. */
class SlowDeleteS3 extends S3Backend {
  deleteDelayMs = 0;
  override async delete(key: string): Promise<void> {
    await sleep(this.deleteDelayMs);
    await super.delete(key);
  }
}

/** An HV whose client stops waiting for a compare-and-write after a while; the request still goes on. */
class GivingUpS3 extends S3Backend {
  giveUpAfterMs = 0;
  override async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    const writing = super.compareAndWrite(key, expected, value);
    if (this.giveUpAfterMs === 0) return writing;
    writing.catch(() => undefined); // its outcome is what the test is about, read from the store
    const givenUp = sleep(this.giveUpAfterMs).then(() => {
      throw new TierdropError('store_error', `No answer to the write of ${key} in time.`, { retryable: true });
    });
    return Promise.race([writing, givenUp]);
  }
}

/** A local folder whose compare-and-writes take a while, as a slow disk or share would. */
class SlowFolder extends FsBackend {
  compareAndWriteDelayMs = 0;
  override async compareAndWrite(key: string, expected: string | null, value: Buffer): Promise<'written' | 'conflict'> {
    await sleep(this.compareAndWriteDelayMs);
    return super.compareAndWrite(key, expected, value);
  }
}

const world = useS3World('tiered-cancel-commit');
let serial = 0;

interface Setup<Hv extends HighVolumeBackend> {
  storage: TieredStorage;
  hv: Hv;
  journal: Journal;
  key: string;
}

/** A tiered destination in which everything from 1 KiB up is an LT revision. */
function setUp<Hv extends StoreBackend>(hv: Hv, destination: string): Setup<Hv> {
  const journal = Journal.openInMemory();
  const prefix = `cancel${++serial}/`;
  const storage = new TieredStorage({
    hv,
    lt: hv,
    prefix,
    destination: `${destination}/${prefix}`,
    changes: journal.changes,
    inlineBelowBytes: 1 * KiB,
    owned: [hv],
  });
  world.defer(async () => {
    await storage.dispose();
    journal.close();
  });
  return { storage, hv, journal, key: `${prefix}object.bin` };
}

function onS3<Hv extends S3Backend>(makeHv: (options: ConstructorParameters<typeof S3Backend>[0]) => Hv): Setup<Hv> {
  const hv = makeHv({ bucket: 'bucket', endpoint: world.server.endpoint, region: 'us-east-1', checksum: 'crc32' });
  return setUp(hv, `s3://bucket?endpoint=${encodeURIComponent(world.server.endpoint)}`);
}

function onFolder(): Setup<SlowFolder> {
  const folder = tempDir('tiered-cancel-commit-fs');
  world.defer(async () => folder.cleanup());
  const hv = new SlowFolder({ root: folder.path });
  return setUp(hv, `file://${folder.path}`);
}

/** The old object, committed; then the new one's parts sent, ready to complete. */
async function prepare(setup: Setup<HighVolumeBackend>): Promise<{ oldBytes: Buffer; newBytes: Buffer; complete: () => Promise<unknown>; abort: () => Promise<void> }> {
  const { storage, key } = setup;
  await storage.recovered();
  const oldBytes = randomBytes(48 * KiB);
  await storage.put(key, oldBytes, { contentLength: oldBytes.length });
  const newBytes = randomBytes(64 * KiB);
  const token = await storage.initiate(key);
  const receipt = await storage.uploadPart(key, token, 1, newBytes, newBytes.length);
  return {
    oldBytes,
    newBytes,
    complete: () => storage.complete(key, token, [receipt]),
    abort: () => storage.abort(key, token),
  };
}

async function sha256(stored: StoredObject | null): Promise<string | null> {
  if (stored === null) return null;
  const hash = createHash('sha256');
  for await (const chunk of stored.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The LT revisions in the store, and the ones a tombstone names. */
async function revisions(storage: TieredStorage): Promise<{ stored: string[]; referenced: string[] }> {
  const stored: string[] = [];
  for await (const meta of storage.lt.list(storage.layout.ltRoot)) stored.push(meta.key);
  return { stored: stored.sort(), referenced: [...(await storage.referencedRevisions())].sort() };
}

/** Once every cleanup has run: the key holds one of the two objects whole, and nothing is orphaned. */
async function expectIntact(setup: Setup<HighVolumeBackend>, allowed: Array<Buffer | null>): Promise<void> {
  await waitFor(() => setup.journal.changes.list().length === 0, CLEANUP_TIMEOUT_MS, 'the cleanups to finish');
  const found = await sha256(await setup.storage.get(setup.key));
  expect(allowed.map((bytes) => (bytes === null ? null : digest(bytes)))).toContain(found);
  const { stored, referenced } = await revisions(setup.storage);
  expect(stored).toEqual(referenced);
}

function tombstoneArrived(before: number): () => boolean {
  return () => world.server.stats().objectBytesReceived > before;
}

describe('cancelling an upload while its commit is in flight', () => {
  it('leaves the key on a whole object when the abort arrives during the compare-and-write (S3)', async () => {
    const setup = onS3((options) => new S3Backend(options));
    const upload = await prepare(setup);
    world.server.setFaults({ commitDelayMs: { PutObject: COMMIT_DELAY_MS } });
    const before = world.server.stats().objectBytesReceived;
    const completing = upload.complete();
    await waitFor(tombstoneArrived(before), 10_000, 'the tombstone to reach the store');
    await upload.abort();
    expect(await completing).toBeNull();
    // The commit had started: the cancel came too late to undo it, so the new object stands.
    await expectIntact(setup, [upload.newBytes]);
  });

  it('leaves the key on a whole object when the client gave up on the compare-and-write before the cancel (S3)', async () => {
    const setup = onS3((options) => new GivingUpS3(options));
    const upload = await prepare(setup);
    setup.hv.giveUpAfterMs = GIVE_UP_MS;
    world.server.setFaults({ commitDelayMs: { PutObject: COMMIT_DELAY_MS } });
    const stored = world.server.stats().objectsStored;
    await expect(upload.complete()).rejects.toMatchObject({ retryable: true });
    await upload.abort(); // as the engine's cancel does once the complete has failed
    await waitFor(() => world.server.stats().objectsStored > stored, 10_000, 'the late compare-and-write');
    await expectIntact(setup, [upload.oldBytes, upload.newBytes]);
  });

  it('finishes the commit whose answer was lost before the cancel: the replaced revision goes too (S3)', async () => {
    const setup = onS3((options) => new S3Backend(options));
    const upload = await prepare(setup);
    world.server.setFaults({ dropAnswerRate: { PutObject: 1 } });
    await expect(upload.complete()).rejects.toMatchObject({ retryable: true });
    world.server.setFaults({});
    await upload.abort();
    await expectIntact(setup, [upload.newBytes]);
  });

  it('leaves the key on a whole object when the abort arrives during a slow compare-and-write (local folder)', async () => {
    const setup = onFolder();
    const upload = await prepare(setup);
    setup.hv.compareAndWriteDelayMs = COMMIT_DELAY_MS;
    const completing = upload.complete();
    await waitFor(() => setup.journal.changes.list().some((change) => change.phase === 'written'), 10_000, 'the commit to start');
    await upload.abort();
    expect(await completing).toBeNull();
    await expectIntact(setup, [upload.newBytes]);
  });
});

describe('deleting a key while a commit to it is in flight', () => {
  it('leaves no revision behind when the tombstone lands between the delete reading and removing it (S3)', async () => {
    const setup = onS3((options) => new SlowDeleteS3(options));
    const upload = await prepare(setup);
    world.server.setFaults({ commitDelayMs: { PutObject: COMMIT_DELAY_MS } });
    const before = world.server.stats().objectBytesReceived;
    const completing = upload.complete();
    await waitFor(tombstoneArrived(before), 10_000, 'the tombstone to reach the store');
    setup.hv.deleteDelayMs = DELETE_DELAY_MS;
    await setup.storage.delete(setup.key);
    expect(await completing).toBeNull();
    // The delete came after the upload began committing: it removes whatever the commit left.
    await expectIntact(setup, [null]);
  });
});
