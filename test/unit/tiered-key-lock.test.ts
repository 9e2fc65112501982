// The per-key turns that keep a commit, a cancel and a delete of one object from interleaving.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyLock } from '../../core/tiered/key-lock.js';

describe('KeyLock', () => {
  it('runs sections on one key one at a time, in the order they asked, and other keys alongside', async () => {
    const lock = new KeyLock();
    const events: string[] = [];
    const section = (name: string, waitMs: number) => async () => {
      events.push(`${name} start`);
      await sleep(waitMs);
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      lock.run('a', section('first', 30)),
      lock.run('a', section('second', 0)),
      lock.run('b', section('other', 0)),
    ]);
    expect(results).toEqual(['first', 'second', 'other']);
    expect(events.indexOf('second start')).toBeGreaterThan(events.indexOf('first end'));
    expect(events.indexOf('other end')).toBeLessThan(events.indexOf('first end'));
  });

  it('hands the turn on when a section fails', async () => {
    const lock = new KeyLock();
    const failing = lock.run('a', async () => {
      throw new Error('store down');
    });
    await expect(failing).rejects.toThrow('store down');
    await expect(lock.run('a', async () => 'next')).resolves.toBe('next');
  });
});
