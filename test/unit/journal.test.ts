// The journal's record keeping, on an in-memory database: what the transfer engine writes is what
// it reads back, in the order it expects, and nothing is half-written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransferState } from '../../core/contract/index.js';
import { isTierdropError } from '../../core/errors/index.js';
import { Journal, LATEST_SCHEMA_VERSION, type NewUpload, type PartPlan } from '../../core/journal/index.js';

const START_MS = Date.UTC(2024, 4, 1, 12, 0, 0);

function newUpload(id: string, overrides: Partial<NewUpload> = {}): NewUpload {
  return {
    id,
    destination: 'file:///tmp/bucket',
    sourcePath: `/home/me/${id}.bin`,
    key: `${id}.bin`,
    sizeBytes: 25,
    mtimeMs: 1714564800123.5,
    inode: '9007199254740993', // larger than a double can hold exactly: why inodes are text
    partSizeBytes: 10,
    ...overrides,
  };
}

/** Parts of `partSizeBytes` covering `sizeBytes`, the last one shorter. */
function plan(sizeBytes: number, partSizeBytes: number): PartPlan[] {
  const parts: PartPlan[] = [];
  for (let offsetBytes = 0, partNo = 1; offsetBytes < sizeBytes; offsetBytes += partSizeBytes, partNo += 1) {
    parts.push({ partNo, offsetBytes, lengthBytes: Math.min(partSizeBytes, sizeBytes - offsetBytes) });
  }
  return parts;
}

function expectInternalError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isTierdropError(thrown, 'internal'), `expected TierdropError('internal'), got ${String(thrown)}`).toBe(true);
  expect(thrown instanceof Error ? thrown.message : '').toMatch(message);
}

let nowMs = START_MS;
let journal: Journal;

beforeEach(() => {
  nowMs = START_MS;
  journal = Journal.openInMemory({ now: () => nowMs });
});

afterEach(() => {
  journal.close();
});

describe('uploads', () => {
  it('records a new upload as queued, with no error, revision or store upload id yet', () => {
    const created = journal.createUpload(newUpload('a'), plan(25, 10));

    expect(created).toEqual({
      ...newUpload('a'),
      state: 'queued',
      revision: null,
      backendUploadId: null,
      errorCode: null,
      errorMessage: null,
      errorRetryable: false,
      createdAt: START_MS,
      updatedAt: START_MS,
    });
    expect(journal.getUpload('a')).toEqual(created);
    expect(journal.listParts('a')).toEqual([
      { uploadId: 'a', partNo: 1, offsetBytes: 0, lengthBytes: 10, etag: null, checksum: null, state: 'pending' },
      { uploadId: 'a', partNo: 2, offsetBytes: 10, lengthBytes: 10, etag: null, checksum: null, state: 'pending' },
      { uploadId: 'a', partNo: 3, offsetBytes: 20, lengthBytes: 5, etag: null, checksum: null, state: 'pending' },
    ]);
  });

  it('takes a starting state from the caller', () => {
    expect(journal.createUpload({ ...newUpload('a'), state: 'paused' }, []).state).toBe('paused');
  });

  it('stores every transfer state the contract knows', () => {
    for (const state of TransferState.options) journal.createUpload({ ...newUpload(state), state }, []);
    expect(journal.listUploads().map((row) => row.state)).toEqual(TransferState.options);
  });

  it('keeps a single-request upload (no parts, part size 0)', () => {
    journal.createUpload(newUpload('small', { sizeBytes: 3, partSizeBytes: 0 }), []);
    expect(journal.getUpload('small')?.partSizeBytes).toBe(0);
    expect(journal.listParts('small')).toEqual([]);
    expect(journal.partProgress('small')).toEqual({ partsDone: 0, partsTotal: 0, bytesDone: 0 });
  });

  it('answers null for an upload it does not know', () => {
    expect(journal.getUpload('nope')).toBeNull();
  });

  it('refuses a second upload with the same id and keeps the first', () => {
    const first = journal.createUpload(newUpload('a'), plan(25, 10));
    expectInternalError(() => journal.createUpload(newUpload('a', { key: 'other' }), []), /upload a/);
    expect(journal.getUpload('a')).toEqual(first);
    expect(journal.listParts('a')).toHaveLength(3);
  });

  it('writes an upload and its parts together or not at all', () => {
    const duplicatePart: PartPlan[] = [
      { partNo: 1, offsetBytes: 0, lengthBytes: 10 },
      { partNo: 1, offsetBytes: 10, lengthBytes: 10 },
    ];
    expectInternalError(() => journal.createUpload(newUpload('a'), duplicatePart), /refused/);
    expect(journal.getUpload('a')).toBeNull();
    expect(journal.listParts('a')).toEqual([]);
  });

  it('refuses rows that break the row rules before writing them', () => {
    expectInternalError(() => journal.createUpload(newUpload('a', { sizeBytes: -1 }), []), /invalid upload row/);
    expectInternalError(() => journal.createUpload(newUpload('b'), [{ partNo: 0, offsetBytes: 0, lengthBytes: 1 }]), /refused/);
    expect(journal.listUploads()).toEqual([]);
  });

  it('lists uploads by creation time, ties in the order they were recorded', () => {
    nowMs = START_MS + 10;
    journal.createUpload(newUpload('late'), []);
    nowMs = START_MS; // the clock went back: creation time still wins
    journal.createUpload(newUpload('early-1'), []);
    journal.createUpload(newUpload('early-2'), []);
    journal.createUpload(newUpload('early-0'), []);

    expect(journal.listUploads().map((row) => row.id)).toEqual(['early-1', 'early-2', 'early-0', 'late']);
  });

  it('filters the list by state and by destination', () => {
    journal.createUpload(newUpload('q1'), []);
    journal.createUpload({ ...newUpload('u1'), state: 'uploading' }, []);
    journal.createUpload({ ...newUpload('f1', { destination: 's3://other' }), state: 'failed' }, []);
    journal.createUpload(newUpload('q2', { destination: 's3://other' }), []);
    const ids = (filter: Parameters<Journal['listUploads']>[0]) => journal.listUploads(filter).map((row) => row.id);

    expect(ids({})).toEqual(['q1', 'u1', 'f1', 'q2']);
    expect(ids({ states: ['queued'] })).toEqual(['q1', 'q2']);
    expect(ids({ states: ['uploading', 'failed'] })).toEqual(['u1', 'f1']);
    expect(ids({ destination: 's3://other' })).toEqual(['f1', 'q2']);
    expect(ids({ states: ['queued'], destination: 's3://other' })).toEqual(['q2']);
    expect(ids({ states: [] })).toEqual([]);
  });

  it('updates the fields it is given, bumps updatedAt and keeps the rest', () => {
    journal.createUpload(newUpload('a'), []);
    nowMs = START_MS + 500;

    const updated = journal.updateUpload('a', {
      state: 'failed',
      errorCode: 'unreachable',
      errorMessage: 'The endpoint did not answer.',
      errorRetryable: true,
      backendUploadId: 'mp-1',
      revision: undefined, // not given: unchanged
    });

    expect(updated).toMatchObject({
      state: 'failed',
      errorCode: 'unreachable',
      errorMessage: 'The endpoint did not answer.',
      errorRetryable: true,
      backendUploadId: 'mp-1',
      revision: null,
      key: 'a.bin',
      createdAt: START_MS,
      updatedAt: START_MS + 500,
    });
    expect(journal.getUpload('a')).toEqual(updated);

    nowMs = START_MS + 900;
    const cleared = journal.updateUpload('a', { state: 'uploading', errorCode: null, errorMessage: null, errorRetryable: false });
    expect(cleared).toMatchObject({ state: 'uploading', errorCode: null, errorMessage: null, errorRetryable: false, backendUploadId: 'mp-1' });
    expect(cleared.updatedAt).toBe(START_MS + 900);
  });

  it('re-fingerprints the source when the file changed', () => {
    journal.createUpload(newUpload('a'), plan(25, 10));
    const updated = journal.updateUpload('a', { sizeBytes: 40, mtimeMs: 5.25, inode: '77', partSizeBytes: 20 });
    expect(updated).toMatchObject({ sizeBytes: 40, mtimeMs: 5.25, inode: '77', partSizeBytes: 20 });
  });

  it('says so when asked to update an upload it does not know', () => {
    expectInternalError(() => journal.updateUpload('ghost', { state: 'done' }), /ghost/);
  });

  it('does not write an update that breaks the row rules', () => {
    const before = journal.createUpload(newUpload('a'), []);
    expectInternalError(() => journal.updateUpload('a', { sizeBytes: -5 }), /invalid upload row/);
    expect(journal.getUpload('a')).toEqual(before);
  });

  it('deletes an upload together with its parts', () => {
    journal.createUpload(newUpload('a'), plan(25, 10));
    journal.createUpload(newUpload('b'), plan(25, 10));
    journal.markPartSent('a', 1, 'e1', null);

    journal.deleteUpload('a');
    journal.deleteUpload('a'); // twice is harmless

    expect(journal.getUpload('a')).toBeNull();
    expect(journal.listParts('a')).toEqual([]);
    expect(journal.partProgress('a')).toEqual({ partsDone: 0, partsTotal: 0, bytesDone: 0 });
    expect(journal.listParts('b')).toHaveLength(3);
    expect(journal.integrityCheck()).toEqual([]);
  });
});

describe('parts', () => {
  beforeEach(() => {
    journal.createUpload(newUpload('a'), plan(25, 10));
  });

  it('counts a part as done once its receipt is stored', () => {
    expect(journal.partProgress('a')).toEqual({ partsDone: 0, partsTotal: 3, bytesDone: 0 });

    journal.markPartSent('a', 3, '"etag-3"', 'crc32:AAAA');
    journal.markPartSent('a', 1, '"etag-1"', null);

    expect(journal.partProgress('a')).toEqual({ partsDone: 2, partsTotal: 3, bytesDone: 15 });
    expect(journal.listParts('a').map((part) => [part.partNo, part.state, part.etag, part.checksum])).toEqual([
      [1, 'sent', '"etag-1"', null],
      [2, 'pending', null, null],
      [3, 'sent', '"etag-3"', 'crc32:AAAA'],
    ]);
  });

  it('keeps the latest receipt when a part is sent twice, and counts it once', () => {
    journal.markPartSent('a', 2, 'old', null);
    journal.markPartSent('a', 2, 'new', 'crc');
    expect(journal.listParts('a')[1]).toMatchObject({ etag: 'new', checksum: 'crc', state: 'sent' });
    expect(journal.partProgress('a')).toEqual({ partsDone: 1, partsTotal: 3, bytesDone: 10 });
  });

  it('refuses to mark a part that was never planned', () => {
    expectInternalError(() => journal.markPartSent('a', 4, 'e', null), /Part 4 of upload a/);
    expectInternalError(() => journal.markPartSent('ghost', 1, 'e', null), /upload ghost/);
    expect(journal.partProgress('a').partsDone).toBe(0);
  });

  it('puts every part back to pending on reset, receipts gone', () => {
    journal.markPartSent('a', 1, 'e1', 'c1');
    journal.markPartSent('a', 2, 'e2', 'c2');

    journal.resetParts('a');

    expect(journal.listParts('a').every((part) => part.state === 'pending' && part.etag === null && part.checksum === null)).toBe(true);
    expect(journal.partProgress('a')).toEqual({ partsDone: 0, partsTotal: 3, bytesDone: 0 });
  });

  it('replaces the plan with new pending parts', () => {
    journal.markPartSent('a', 1, 'e1', null);

    journal.replaceParts('a', plan(40, 20));

    expect(journal.listParts('a')).toEqual([
      { uploadId: 'a', partNo: 1, offsetBytes: 0, lengthBytes: 20, etag: null, checksum: null, state: 'pending' },
      { uploadId: 'a', partNo: 2, offsetBytes: 20, lengthBytes: 20, etag: null, checksum: null, state: 'pending' },
    ]);
  });

  it('keeps the old plan when the new one cannot be written', () => {
    journal.markPartSent('a', 1, 'e1', null);
    const before = journal.listParts('a');
    expectInternalError(
      () => journal.replaceParts('a', [{ partNo: 1, offsetBytes: 0, lengthBytes: 1 }, { partNo: 1, offsetBytes: 1, lengthBytes: 1 }]),
      /refused/,
    );
    expect(journal.listParts('a')).toEqual(before);
  });

  it('refuses to plan parts for an upload it does not know', () => {
    expectInternalError(() => journal.replaceParts('ghost', plan(10, 10)), /ghost/);
  });

  it('reports progress for every upload in one go', () => {
    journal.createUpload(newUpload('b'), plan(25, 10));
    journal.createUpload(newUpload('none'), []);
    journal.markPartSent('b', 3, 'e', null);

    expect(journal.partProgressByUpload()).toEqual(
      new Map([
        ['a', { partsDone: 0, partsTotal: 3, bytesDone: 0 }],
        ['b', { partsDone: 1, partsTotal: 3, bytesDone: 5 }],
      ]),
    );
  });
});

describe('transactions', () => {
  it('keeps all writes of a transaction or none', () => {
    expect(() =>
      journal.transaction(() => {
        journal.createUpload(newUpload('a'), plan(25, 10));
        journal.markPartSent('a', 1, 'e1', null);
        throw new Error('engine crashed mid-way');
      }),
    ).toThrow('engine crashed mid-way');
    expect(journal.getUpload('a')).toBeNull();
  });

  it('returns what the function returns, and nests', () => {
    const result = journal.transaction(() => {
      journal.createUpload(newUpload('a'), plan(25, 10));
      expect(() =>
        journal.transaction(() => {
          journal.markPartSent('a', 1, 'e1', null);
          throw new Error('inner fails');
        }),
      ).toThrow('inner fails');
      journal.markPartSent('a', 2, 'e2', null);
      return journal.partProgress('a');
    });
    expect(result).toEqual({ partsDone: 1, partsTotal: 3, bytesDone: 10 });
    expect(journal.partProgress('a')).toEqual(result);
  });
});

describe('writes that wait for a batch', () => {
  // Two connections to one file: `reader` sees only what is in the file, as another process (or
  // this one after a crash) would.
  let folder: string;
  let writer: Journal;
  let reader: Journal;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'tierdrop-journal-batch-'));
    writer = Journal.open(join(folder, 'journal.db')).journal;
    reader = Journal.open(join(folder, 'journal.db')).journal;
  });
  afterEach(() => {
    writer.close();
    reader.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('records many uploads and their parts in one go, all or none', () => {
    const rows = writer.createUploads([
      { upload: newUpload('a'), parts: plan(25, 10) },
      { upload: newUpload('b', { partSizeBytes: 0 }), parts: [] },
    ]);
    expect(rows.map((row) => [row.id, row.state])).toEqual([['a', 'queued'], ['b', 'queued']]);
    expect(reader.partProgress('a')).toEqual({ partsDone: 0, partsTotal: 3, bytesDone: 0 });
    expect(() => writer.createUploads([{ upload: newUpload('c'), parts: [] }, { upload: newUpload('a'), parts: [] }])).toThrow();
    expect(reader.getUpload('c')).toBeNull();
  });

  it('shows a progress state at once and writes it with the next batch', () => {
    const row = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    const shown = writer.setStateLazily(row, 'uploading');
    expect(shown.state).toBe('uploading');
    expect(writer.getUpload('a')?.state).toBe('uploading');
    expect(reader.getUpload('a')?.state).toBe('queued'); // a crash now would leave it queued: harmless
    writer.flush();
    expect(reader.getUpload('a')?.state).toBe('uploading');
  });

  it('answers a batched state once it is in the file', async () => {
    const row = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    const done = await writer.setStateBatched(writer.setStateLazily(row, 'uploading'), 'done');
    expect(done.state).toBe('done');
    expect(reader.getUpload('a')?.state).toBe('done');
  });

  it('writes what cannot wait at once, whatever waits beside it', () => {
    const a = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    writer.createUpload(newUpload('b'), plan(25, 10));
    writer.setStateLazily(a, 'uploading');
    writer.markPartSent('b', 1, 'e1', null);
    expect(reader.partProgress('b').partsDone).toBe(1);
    writer.flush();
    expect(reader.getUpload('a')?.state).toBe('uploading');
  });

  it('never lets a queued state overwrite a later durable one', () => {
    const a = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    writer.setStateLazily(a, 'uploading');
    writer.updateUpload('a', { state: 'paused' });
    writer.flush();
    expect(reader.getUpload('a')?.state).toBe('paused');
  });

  it('keeps a durable update of the same upload over an older queued state', () => {
    const a = writer.createUpload(newUpload('a'), plan(25, 10));
    writer.transaction(() => {
      writer.setStateLazily(a, 'uploading');
      writer.updateUpload('a', { backendUploadId: 'upload-1' });
    });
    writer.setStateLazily(a, 'completing'); // `a` is older than the file: only the state is written
    writer.flush();
    expect(reader.getUpload('a')).toMatchObject({ state: 'completing', backendUploadId: 'upload-1' });
  });

  it('leaves a progress state younger than a moment out of a batch, so a file that finishes meanwhile writes its final state only', async () => {
    const a = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    const b = writer.createUpload(newUpload('b', { partSizeBytes: 0 }), []);
    const uploading = writer.setStateLazily(a, 'uploading');
    await writer.setStateBatched(b, 'done');
    expect(reader.getUpload('b')?.state).toBe('done');
    expect(reader.getUpload('a')?.state).toBe('queued'); // not written yet: a crash would leave it queued, harmless
    expect(writer.getUpload('a')?.state).toBe('uploading'); // and this process still sees it
    expect(writer.listUploads({ states: ['uploading'] }).map((row) => row.id)).toEqual(['a']);
    await writer.setStateBatched(uploading, 'done');
    expect(reader.getUpload('a')?.state).toBe('done');
  });

  it('writes a progress state on its own within a moment when no batch comes', async () => {
    const row = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    writer.setStateLazily(row, 'uploading');
    await vi.waitFor(() => expect(reader.getUpload('a')?.state).toBe('uploading'), { timeout: 2_000, interval: 20 });
    expect(writer.getUpload('a')?.state).toBe('uploading');
  });

  it('keeps a progress state young across batches: it is due a moment after it was first queued', async () => {
    const a = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    const b = writer.createUpload(newUpload('b', { partSizeBytes: 0 }), []);
    const firstQueuedMs = Date.now();
    writer.setStateLazily(writer.setStateLazily(a, 'preparing'), 'uploading');
    await writer.setStateBatched(b, 'done');
    await vi.waitFor(() => expect(reader.getUpload('a')?.state).toBe('uploading'), { timeout: 2_000, interval: 10 });
    expect(Date.now() - firstQueuedMs).toBeLessThan(1_000);
  });

  it('writes what waits when it closes', () => {
    const row = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    writer.setStateLazily(row, 'uploading');
    writer.close();
    expect(reader.getUpload('a')?.state).toBe('uploading');
  });

  it('lists uploads with their newest states', () => {
    const row = writer.createUpload(newUpload('a', { partSizeBytes: 0 }), []);
    writer.setStateLazily(row, 'uploading');
    expect(writer.listUploads({ states: ['uploading'] }).map((listed) => listed.id)).toEqual(['a']);
  });

  it('forgets a removed change for every read at once, and in the file with the next batch', () => {
    const change = writer.changes.record({
      id: 'c1',
      destination: 'file:///tmp/bucket',
      key: 'a.bin',
      oldRevision: null,
      newRevision: 'r1',
      ltUploadId: null,
      phase: 'recorded',
    });
    writer.changes.remove(change.id);
    expect(writer.changes.list()).toEqual([]);
    expect(reader.changes.list()).toEqual([]);
  });
});

describe('the database', () => {
  it('is at the latest schema and sound', () => {
    expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(journal.integrityCheck()).toEqual([]);
    expect(journal.path).toBe(':memory:');
  });

  it('closes once, however often it is asked to', () => {
    journal.close();
    expect(() => journal.close()).not.toThrow();
  });
});
