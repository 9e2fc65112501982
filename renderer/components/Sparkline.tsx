// The last minute of throughput as a small SVG area chart, redrawn every second so it slides even
// when no progress arrives.
import { useEffect, useId, useState } from 'react';
import { formatSpeed } from '../logic/format.js';
import { sparklinePaths, throughputSeries } from '../logic/throughput.js';
import { useApp } from './context.js';

const WIDTH = 140;
const HEIGHT = 32;

export function Sparkline() {
  const samples = useApp((state) => state.throughput);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const gradientId = useId();
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const series = throughputSeries(samples, nowMs);
  const { line, area, peak } = sparklinePaths(series, WIDTH, HEIGHT);
  return (
    <figure className="sparkline" aria-label={`Throughput over the last minute, peak ${formatSpeed(peak)}`} role="img">
      <svg width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true">
        <defs>
          <linearGradient id={gradientId} x1="0" y1="0" x2="0" y2="1">
            <stop offset="0%" stopColor="var(--accent)" stopOpacity="0.28" />
            <stop offset="100%" stopColor="var(--accent)" stopOpacity="0" />
          </linearGradient>
        </defs>
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} className="sparkline-base" />
        {peak > 0 ? (
          <>
            <path d={area} fill={`url(#${gradientId})`} />
            <path d={line} fill="none" stroke="var(--accent)" strokeWidth="1.5" strokeLinejoin="round" />
          </>
        ) : null}
      </svg>
      <figcaption>{peak > 0 ? `peak ${formatSpeed(peak)}` : 'last minute'}</figcaption>
    </figure>
  );
}
