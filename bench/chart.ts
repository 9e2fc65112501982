// The ratio chart: one group of bars per (case, metric, server), one bar per peer, on a log scale
// with 1× marked, so "Tierdrop ÷ peer" reads at a glance. Plain SVG, no dependencies.
import { ratioRows, type BenchRun } from './report.js';
import type { ToolName } from './tools.js';

const WIDTH = 900;
const LABEL_WIDTH = 300;
const BAR_HEIGHT = 9;
const GROUP_GAP = 10;
const TOP = 70;
const LOG_MIN = -2; // 0.01×
const LOG_MAX = 2; // 100×
const COLOURS: Record<string, string> = { 'lib-storage': '#4e79a7', awscli: '#f28e2b', rclone: '#59a14f', ceiling: '#9c755f' };
const LOWER_IS_BETTER = new Set(['peak RSS', 're-sent bytes']);

function x(ratio: number): number {
  const clamped = Math.min(LOG_MAX, Math.max(LOG_MIN, Math.log10(ratio)));
  return LABEL_WIDTH + ((clamped - LOG_MIN) / (LOG_MAX - LOG_MIN)) * (WIDTH - LABEL_WIDTH - 40);
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function renderChart(run: BenchRun, oursTools: readonly ToolName[], peers: readonly ToolName[]): string {
  const rows = ratioRows(run, oursTools, peers);
  const series = [...peers, 'ceiling'];
  const groupHeight = series.length * BAR_HEIGHT + GROUP_GAP;
  const height = TOP + rows.length * groupHeight + 40;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">Tierdrop ÷ peer, same run (${escape(run.startedAt)}${run.scale > 1 ? `, sizes ÷ ${run.scale}` : ''})</text>`);
  parts.push(`<text x="10" y="38">Log scale. Speed rows: right of 1× = Tierdrop faster. Memory and re-sent rows (marked ↓): left of 1× = Tierdrop uses less.</text>`);
  series.forEach((name, index) => {
    parts.push(`<rect x="${10 + index * 120}" y="48" width="10" height="10" fill="${COLOURS[name] ?? '#888'}"/><text x="${24 + index * 120}" y="57">÷ ${escape(name)}</text>`);
  });
  for (const tick of [0.01, 0.1, 0.5, 1, 2, 10, 100]) {
    const at = x(tick);
    parts.push(`<line x1="${at}" y1="${TOP - 5}" x2="${at}" y2="${height - 30}" stroke="${tick === 1 ? '#000' : '#ddd'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${at}" y="${height - 15}" text-anchor="middle">${tick}×</text>`);
  }
  rows.forEach((row, rowIndex) => {
    const top = TOP + rowIndex * groupHeight;
    const mark = LOWER_IS_BETTER.has(row.metric) ? ' ↓' : '';
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${top + (series.length * BAR_HEIGHT) / 2 + 4}" text-anchor="end">${escape(`${row.ours} · ${row.caseName} · ${row.metric}${mark} · ${row.server}`)}</text>`);
    series.forEach((name, index) => {
      const value = row.ratios.get(name);
      if (value === undefined) return;
      const from = x(1);
      const to = x(value);
      const y = top + index * BAR_HEIGHT;
      parts.push(`<rect x="${Math.min(from, to)}" y="${y}" width="${Math.max(1, Math.abs(to - from))}" height="${BAR_HEIGHT - 1}" fill="${COLOURS[name] ?? '#888'}"><title>${escape(`${name}: ${value.toFixed(2)}×`)}</title></rect>`);
      parts.push(`<text x="${Math.max(from, to) + 3}" y="${y + BAR_HEIGHT - 1}" font-size="8">${value.toFixed(2)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
