// The window's store against a scripted transport: it mirrors snapshots and events (batched into
// one update), sends only sensible commands, and turns failures and notices into toasts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Settings, type CommandInput, type CommandName, type CommandOutput, type Result, type TierdropEvent, type TransferView } from '../../core/contract/index.js';
import { createAppStore, type AppStore } from '../../renderer/store/index.js';
import { applyEvents, emptyTransfers } from '../../renderer/store/transfers.js';
import type { Transport, TransportListener } from '../../renderer/transport/index.js';

const DESTINATION = 's3://bucket/in';

function transfer(id: string, overrides: Partial<TransferView> = {}): TransferView {
  return {
    id,
    destination: DESTINATION,
    sourcePath: `/src/${id}`,
    key: `in/${id}.bin`,
    sizeBytes: 1000,
    bytesDone: 0,
    partsDone: 0,
    partsTotal: 1,
    state: 'queued',
    error: null,
    speedBytesPerSec: 0,
    etaSeconds: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

class ScriptedTransport implements Transport {
  readonly kind = 'http';
  readonly pickers = null;
  listener: TransportListener | null = null;
  calls: Array<{ name: string; input: unknown }> = [];
  answers = new Map<string, Result<unknown>>();

  command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    this.calls.push({ name, input });
    const answer = this.answers.get(name) ?? { ok: true, value: { ids: [] } };
    return Promise.resolve(answer as Result<CommandOutput<C>>);
  }

  connect(listener: TransportListener): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }

  addDrop(): Promise<Result<{ ids: string[] }>> {
    return Promise.resolve({ ok: true, value: { ids: [] } });
  }

  emit(event: TierdropEvent): void {
    this.listener?.event(event);
  }
}

let transport: ScriptedTransport;
let store: AppStore;

const FRAME_MS = 16; // a 60 Hz display

beforeEach(() => {
  vi.useFakeTimers();
  // A display's frames, on the fake clock: the store applies events just before each paint.
  vi.stubGlobal('requestAnimationFrame', (paint: (atMs: number) => void) => setTimeout(() => paint(performance.now()), FRAME_MS));
  transport = new ScriptedTransport();
  store = createAppStore(transport, () => 5_000);
  store.getState().start();
  transport.listener?.snapshot({
    transfers: [transfer('b', { createdAt: 2 }), transfer('a', { createdAt: 1, state: 'uploading' })],
    settings: Settings.parse({ destinations: [{ id: 'd1', name: 'Bucket', url: DESTINATION }] }),
    notice: 'Resumed 2 transfers from your last session.',
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('mirroring core', () => {
  it('takes the snapshot in creation order, picks a destination and shows the notice once', () => {
    const state = store.getState();
    expect(state.order).toEqual(['a', 'b']);
    expect(state.destinationId).toBe('d1');
    expect(state.toasts.map((toast) => toast.title)).toEqual(['Resumed 2 transfers from your last session.']);
    transport.listener?.snapshot({ transfers: [], settings: Settings.parse({}), notice: 'Resumed 2 transfers from your last session.' });
    expect(store.getState().toasts).toHaveLength(1);
  });

  it('applies events ten times a second when no frame comes (a hidden window)', () => {
    vi.stubGlobal('requestAnimationFrame', undefined);
    const hidden = createAppStore(transport, () => 5_000);
    hidden.getState().start();
    const updates = vi.fn();
    hidden.subscribe(updates);
    for (let index = 0; index < 50; index += 1) transport.emit({ type: 'transfer.updated', transfer: transfer(`h${index}`) });
    vi.advanceTimersByTime(FRAME_MS + 4);
    expect(updates).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(updates).toHaveBeenCalledTimes(1);
    expect(hidden.getState().order).toHaveLength(50);
  });

  it('reshapes the list for added transfers and changed states, never for progress', () => {
    const start = applyEvents(emptyTransfers, [{ type: 'transfer.updated', transfer: transfer('x') }], 1);
    expect(start.listRevision).toBe(1);
    const moved = applyEvents(start, [{ type: 'transfer.progress', items: [{ id: 'x', bytesDone: 10, sizeBytes: 1000, speedBytesPerSec: 5, etaSeconds: 9 }] }], 2);
    expect(moved.listRevision).toBe(1);
    expect(moved.order).toBe(start.order);
    const sameState = applyEvents(moved, [{ type: 'transfer.updated', transfer: transfer('x', { bytesDone: 20 }) }], 3);
    expect(sameState.listRevision).toBe(1);
    const failed = applyEvents(sameState, [{ type: 'transfer.updated', transfer: transfer('x', { state: 'failed' }) }], 4);
    expect(failed.listRevision).toBe(2);
  });

  it('lists the transfers of a transfers.added in their order, after the ones it knew', () => {
    const start = applyEvents(emptyTransfers, [{ type: 'transfer.updated', transfer: transfer('old') }], 1);
    const added = applyEvents(start, [
      { type: 'transfers.added', transfers: [transfer('b1', { state: 'queued' }), transfer('b2', { state: 'queued' })] },
      { type: 'transfers.added', transfers: [transfer('b3', { state: 'queued' })] },
    ], 2);
    expect(added.order).toEqual(['old', 'b1', 'b2', 'b3']);
    expect(added.transfers.get('b2')).toMatchObject({ id: 'b2', state: 'queued' });
    expect(added.listRevision).toBe(start.listRevision + 1);
    // A later update of one of them replaces it in place, without a second row.
    const updated = applyEvents(added, [{ type: 'transfer.updated', transfer: transfer('b1', { state: 'uploading' }) }], 3);
    expect(updated.order).toEqual(['old', 'b1', 'b2', 'b3']);
    expect(updated.transfers.get('b1')?.state).toBe('uploading');
  });

  it('shows a dropped folder added in chunks in one update', () => {
    const updates = vi.fn();
    store.subscribe(updates);
    const before = store.getState().order.length;
    const chunk = (from: number, count: number) => Array.from({ length: count }, (_, index) => transfer(`c${from + index}`, { state: 'queued' }));
    transport.emit({ type: 'transfers.added', transfers: chunk(0, 256) });
    transport.emit({ type: 'transfers.added', transfers: chunk(256, 512) });
    vi.advanceTimersByTime(20);
    expect(updates).toHaveBeenCalledTimes(1);
    expect(store.getState().order).toHaveLength(before + 768);
    expect(store.getState().order.at(-1)).toBe('c767');
  });

  it('applies a burst of events in one update, one frame later', () => {
    const updates = vi.fn();
    store.subscribe(updates);
    for (let index = 0; index < 500; index += 1) transport.emit({ type: 'transfer.updated', transfer: transfer(`n${index}`) });
    transport.emit({ type: 'transfer.progress', items: [{ id: 'a', bytesDone: 400, sizeBytes: 1000, speedBytesPerSec: 100, etaSeconds: 6 }] });
    expect(updates).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20);
    expect(updates).toHaveBeenCalledTimes(1);
    const state = store.getState();
    expect(state.order).toHaveLength(502);
    expect(state.transfers.get('a')).toMatchObject({ bytesDone: 400, speedBytesPerSec: 100, etaSeconds: 6, state: 'uploading' });
    expect(state.throughput).toEqual([{ second: 5, bytesPerSec: 100 }]);
  });

  it('copies progress but never a state, and skips transfers it does not know', () => {
    const next = applyEvents(
      { ...emptyTransfers, transfers: new Map([['a', transfer('a', { state: 'paused' })]]), order: ['a'] },
      [{ type: 'transfer.progress', items: [{ id: 'a', bytesDone: 10, sizeBytes: 1000, speedBytesPerSec: 0, etaSeconds: null }, { id: 'ghost', bytesDone: 1, sizeBytes: 1, speedBytesPerSec: 0, etaSeconds: null }] }],
      0,
    );
    expect(next.transfers.get('a')?.state).toBe('paused');
    expect(next.transfers.has('ghost')).toBe(false);
  });

  it('says so when a transfer fails, with Retry as the fix', () => {
    transport.emit({
      type: 'transfer.updated',
      transfer: transfer('a', { state: 'failed', error: { code: 'not_found', message: 'bucket does not exist', retryable: false, hint: 'Create the bucket.' } }),
    });
    vi.advanceTimersByTime(20);
    const toast = store.getState().toasts.at(-1);
    expect(toast).toMatchObject({ tone: 'error', title: 'a.bin failed', detail: 'Create the bucket.' });
    toast?.action?.run();
    expect(transport.calls.at(-1)).toEqual({ name: 'retry', input: { ids: ['a'] } });
  });
});

describe('actions', () => {
  it('pauses only the selected transfers that can pause', async () => {
    store.getState().select(['a', 'b'], 'replace');
    await store.getState().actOnSelection('resume');
    expect(transport.calls).toEqual([]); // nothing paused, nothing to resume
    await store.getState().actOnSelection('pause');
    expect(transport.calls).toEqual([{ name: 'pause', input: { ids: ['a', 'b'] } }]);
  });

  it('forgets what clearFinished cleared, and deselects it', async () => {
    transport.answers.set('clearFinished', { ok: true, value: { ids: ['b'] } });
    store.getState().select(['a', 'b'], 'replace');
    await store.getState().clearFinished();
    expect(store.getState().order).toEqual(['a']);
    expect([...store.getState().selection]).toEqual(['a']);
  });

  it('turns a refused command into an error toast whose action opens settings', async () => {
    transport.answers.set('pause', { ok: false, error: { code: 'access_denied', message: 'Forbidden', retryable: false, hint: 'Check the credentials.' } });
    await store.getState().act('pause', ['a']);
    const toast = store.getState().toasts.at(-1);
    expect(toast).toMatchObject({ tone: 'error', detail: 'Forbidden Check the credentials.' });
    toast?.action?.run();
    expect(store.getState().settingsOpen).toBe(true);
  });

  it('toggles a selection as a whole', () => {
    const { select } = store.getState();
    select(['a'], 'replace');
    select(['a', 'b'], 'toggle');
    expect([...store.getState().selection].sort()).toEqual(['a', 'b']);
    select(['a', 'b'], 'toggle');
    expect(store.getState().selection.size).toBe(0);
  });
});

describe('saving settings', () => {
  it('sends the whole settings object, so fields left out keep their values', async () => {
    transport.answers.set('setSettings', { ok: true, value: Settings.parse({ concurrency: 3, destinations: [{ id: 'd1', name: 'Bucket', url: DESTINATION }] }) });
    await store.getState().saveSettings({ concurrency: 3 });
    expect(transport.calls.at(-1)?.input).toMatchObject({ concurrency: 3, destinations: [{ id: 'd1', name: 'Bucket', url: DESTINATION }] });
  });
});
