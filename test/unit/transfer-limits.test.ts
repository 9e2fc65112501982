import { describe, expect, it } from 'vitest';
import { ProgressMeter } from '../../core/transfer/progress.js';
import { Semaphore, TokenBucket } from '../../core/transfer/limits.js';
import { backoffDelayMs } from '../../core/transfer/retry.js';

describe('Semaphore', () => {
  it('grants at most its capacity, first come first served', async () => {
    const slots = new Semaphore(2);
    const order: number[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const d = slots.acquire().then((release) => {
      order.push(4);
      return release;
    });
    expect(slots.inUse).toBe(2);
    a();
    (await c)();
    b();
    (await d)();
    expect(order).toEqual([3, 4]);
    expect(slots.inUse).toBe(0);
  });

  it('stops waiting when the signal aborts', async () => {
    const slots = new Semaphore(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('paused'));
    await expect(waiting).rejects.toThrow('paused');
    held();
    expect(slots.inUse).toBe(0);
  });

  it('grows at once when resized', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const second = slots.acquire();
    slots.resize(2);
    await expect(second).resolves.toBeTypeOf('function');
  });
});

describe('TokenBucket', () => {
  it('holds a stream to roughly its rate', async () => {
    const bucket = new TokenBucket(1_000_000);
    const started = Date.now();
    for (let i = 0; i < 30; i += 1) await bucket.take(100_000);
    const elapsedMs = Date.now() - started;
    // 3 MB at 1 MB/s with one second of burst: about two seconds.
    expect(elapsedMs).toBeGreaterThan(1_500);
  });
});

describe('ProgressMeter', () => {
  it('never goes backwards when an in-flight request fails', () => {
    let now = 0;
    const meter = new ProgressMeter(1000, 0, () => now);
    meter.setInFlight(1, 400);
    expect(meter.bytesDone).toBe(400);
    meter.settle(1, 0);
    expect(meter.bytesDone).toBe(400);
    meter.setInFlight(2, 300);
    expect(meter.bytesDone).toBe(400);
    meter.settle(2, 500);
    expect(meter.bytesDone).toBe(500);
    now = 1000;
    meter.sample();
  });

  it('smooths speed and derives an ETA', () => {
    let now = 0;
    const meter = new ProgressMeter(10_000, 0, () => now);
    meter.sample();
    for (let second = 1; second <= 5; second += 1) {
      now = second * 1000;
      meter.settle(second, 1000);
      meter.sample();
    }
    expect(meter.speed).toBeGreaterThan(900);
    expect(meter.speed).toBeLessThan(1100);
    expect(meter.etaSeconds).toBeGreaterThan(4);
    expect(meter.etaSeconds).toBeLessThan(6);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially with jitter and a ceiling', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(200);
  });
});
