import { describe, expect, it } from 'vitest';
import { TransferState } from '../../core/contract/index.js';
import { assertTransition, canTransition } from '../../core/transfer/state.js';

describe('upload state machine', () => {
  it('allows the happy path and pause/resume', () => {
    const path = ['queued', 'preparing', 'uploading', 'completing', 'committing', 'done'] as const;
    for (let i = 1; i < path.length; i += 1) {
      const from = path[i - 1];
      const to = path[i];
      if (from && to) expect(canTransition(from, to)).toBe(true);
    }
    expect(canTransition('uploading', 'paused')).toBe(true);
    expect(canTransition('paused', 'queued')).toBe(true);
    expect(canTransition('failed', 'queued')).toBe(true);
  });

  it('never leaves a final state', () => {
    for (const to of TransferState.options) {
      if (to === 'done' || to === 'cancelled') continue;
      expect(canTransition('done', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
  });

  it('lets a file sent in one request skip preparing, but not uploading', () => {
    expect(canTransition('queued', 'uploading')).toBe(true);
    expect(canTransition('queued', 'completing')).toBe(false);
  });

  it('refuses skipping straight from queued to done', () => {
    expect(() => assertTransition('queued', 'done')).toThrow(/cannot go from queued to done/);
  });
});
