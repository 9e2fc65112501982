// The live throughput chart: speeds reported by progress events kept as one sample per second for
// the last minute, and the SVG path that draws them. Pure, so the maths is unit-tested.

export const WINDOW_SECONDS = 60; // the sparkline shows the last minute

export interface ThroughputSample {
  /** Whole second (Date.now() / 1000, floored) the sample belongs to. */
  second: number;
  bytesPerSec: number;
}

/**
 * Records a speed reading: a second keeps its highest reading (a burst should show), older than
 * the window are dropped. Returns a new array; the input is not changed.
 */
export function recordThroughput(samples: readonly ThroughputSample[], atMs: number, bytesPerSec: number): ThroughputSample[] {
  const second = Math.floor(atMs / 1000);
  const oldest = second - WINDOW_SECONDS + 1;
  const kept = samples.filter((sample) => sample.second >= oldest);
  const last = kept[kept.length - 1];
  if (last && last.second === second) {
    kept[kept.length - 1] = { second, bytesPerSec: Math.max(last.bytesPerSec, bytesPerSec) };
  } else if (!last || last.second < second) {
    kept.push({ second, bytesPerSec });
  }
  return kept;
}

/** One value per second of the window ending at `nowMs`, oldest first; silent seconds are 0. */
export function throughputSeries(samples: readonly ThroughputSample[], nowMs: number): number[] {
  const now = Math.floor(nowMs / 1000);
  const series = new Array<number>(WINDOW_SECONDS).fill(0);
  for (const sample of samples) {
    const index = WINDOW_SECONDS - 1 - (now - sample.second);
    if (index >= 0 && index < WINDOW_SECONDS) series[index] = sample.bytesPerSec;
  }
  return series;
}

export interface SparklinePaths {
  /** The line. */
  line: string;
  /** The line closed down to the baseline, for a soft fill. */
  area: string;
  peak: number;
}

/** SVG paths for values drawn left to right across width × height, scaled to their peak. */
export function sparklinePaths(values: readonly number[], width: number, height: number, padding = 1.5): SparklinePaths {
  const peak = values.reduce((max, value) => Math.max(max, value), 0);
  if (values.length === 0) return { line: '', area: '', peak };
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const usable = height - padding * 2;
  const points = values.map((value, index) => {
    const x = round(index * step);
    const y = round(peak > 0 ? padding + usable * (1 - value / peak) : height - padding);
    return `${x},${y}`;
  });
  const line = `M${points.join('L')}`;
  const area = `${line}L${round((values.length - 1) * step)},${height}L0,${height}Z`;
  return { line, area, peak };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
