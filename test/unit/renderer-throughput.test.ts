// The sparkline's data: one sample per second for a minute, and the SVG paths drawn from it.
import { describe, expect, it } from 'vitest';
import { WINDOW_SECONDS, recordThroughput, sparklinePaths, throughputSeries } from '../../renderer/logic/throughput.js';

describe('recordThroughput', () => {
  it('keeps the highest reading of each second and forgets what is older than a minute', () => {
    let samples = recordThroughput([], 1_000, 5);
    samples = recordThroughput(samples, 1_900, 9);
    samples = recordThroughput(samples, 1_950, 2);
    expect(samples).toEqual([{ second: 1, bytesPerSec: 9 }]);
    samples = recordThroughput(samples, 2_000, 3);
    expect(samples).toHaveLength(2);
    samples = recordThroughput(samples, (1 + WINDOW_SECONDS) * 1000, 7);
    expect(samples.map((sample) => sample.second)).toEqual([2, 61]);
  });

  it('ignores a reading that arrives out of order', () => {
    const samples = recordThroughput([{ second: 10, bytesPerSec: 1 }], 9_000, 5);
    expect(samples).toEqual([{ second: 10, bytesPerSec: 1 }]);
  });
});

describe('throughputSeries', () => {
  it('lays samples on a minute ending now, with silent seconds at zero', () => {
    const series = throughputSeries([{ second: 100, bytesPerSec: 4 }, { second: 119, bytesPerSec: 8 }], 119_500);
    expect(series).toHaveLength(WINDOW_SECONDS);
    expect(series[WINDOW_SECONDS - 1]).toBe(8);
    expect(series[WINDOW_SECONDS - 20]).toBe(4);
    expect(series.filter((value) => value !== 0)).toHaveLength(2);
  });
});

describe('sparklinePaths', () => {
  it('scales to the peak, top to bottom within the padding', () => {
    const { line, area, peak } = sparklinePaths([0, 10, 5], 100, 20, 0);
    expect(peak).toBe(10);
    expect(line).toBe('M0,20L50,0L100,10');
    expect(area).toBe('M0,20L50,0L100,10L100,20L0,20Z');
  });

  it('draws a flat baseline when nothing moved', () => {
    const { line, peak } = sparklinePaths([0, 0], 10, 10, 1);
    expect(peak).toBe(0);
    expect(line).toBe('M0,9L10,9');
  });
});
