// Turning one run's measurements into what a person reads: Tierdrop ÷ peer ratios, the raw
// figures, and whether each target of the issue holds in this run.
import type { Machine } from './machine.js';
import type { ServerKind } from './servers.js';
import type { ToolName, TransferSettings } from './tools.js';

export type CaseKind = 'throughput' | 'crash';

export interface BenchResult {
  case: string;
  kind: CaseKind;
  server: ServerKind;
  tool: ToolName | 'ceiling';
  files: number;
  bytes: number;
  seconds: number;
  peakRssBytes: number;
  /** Time inside SQLite calls (Tierdrop only). */
  journalSeconds: number | null;
  /** Crash case: bytes sent over both runs beyond the file's size. */
  resentBytes: number | null;
  sentBeforeKillBytes?: number;
}

export interface BenchRun {
  command: string;
  quick: boolean;
  /** Sizes and file counts were divided by this (1: the issue's sizes). */
  scale: number;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  loadAtStart: number[];
  loadAtEnd: number[];
  settings: TransferSettings;
  results: BenchResult[];
}

const MiB = 1024 * 1024;
const LARGE_CASES = ['large-1g', 'large-4g'];
const THROUGHPUT_CASES = ['large-1g', 'large-4g', 'files-1000x1m', 'files-10000x4k'];

export function find(run: BenchRun, caseName: string, server: ServerKind, tool: BenchResult['tool']): BenchResult | undefined {
  return run.results.find((result) => result.case === caseName && result.server === server && result.tool === tool);
}

/** Bytes per second for one file, files per second for many. */
export function rate(result: BenchResult): number {
  return result.files > 1 ? result.files / result.seconds : result.bytes / result.seconds;
}

function servers(run: BenchRun): ServerKind[] {
  return [...new Set(run.results.map((result) => result.server))];
}

function ratio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined || denominator === 0) return '–';
  return `${(numerator / denominator).toFixed(2)}×`;
}

export interface RatioRow {
  /** Which Tierdrop: as shipped (tiered) or direct. */
  ours: ToolName;
  caseName: string;
  metric: string;
  server: ServerKind;
  /** Tierdrop ÷ each peer (and ÷ ceiling where there is one). */
  ratios: Map<string, number>;
}

/** Every Tierdrop ÷ peer ratio of the run, for the table and the chart. */
export function ratioRows(run: BenchRun, oursTools: readonly ToolName[], peers: readonly ToolName[]): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const server of servers(run)) {
    for (const caseName of THROUGHPUT_CASES) {
      for (const oursTool of oursTools) {
        const ours = find(run, caseName, server, oursTool);
        if (!ours) continue;
        const speed: RatioRow = { ours: oursTool, caseName, metric: ours.files > 1 ? 'files/s' : 'throughput', server, ratios: new Map() };
        const memory: RatioRow = { ours: oursTool, caseName, metric: 'peak RSS', server, ratios: new Map() };
        for (const peer of [...peers, 'ceiling' as const]) {
          const theirs = find(run, caseName, server, peer);
          if (!theirs) continue;
          speed.ratios.set(peer, rate(ours) / rate(theirs));
          if (peer !== 'ceiling') memory.ratios.set(peer, ours.peakRssBytes / theirs.peakRssBytes);
        }
        rows.push(speed, memory);
      }
    }
    const crash = find(run, 'crash-1g', server, 'tierdrop');
    if (crash?.resentBytes != null) {
      const row: RatioRow = { ours: 'tierdrop', caseName: 'crash-1g', metric: 're-sent bytes', server, ratios: new Map() };
      for (const peer of peers) {
        const theirs = find(run, 'crash-1g', server, peer);
        if (theirs?.resentBytes != null && theirs.resentBytes > 0) row.ratios.set(peer, crash.resentBytes / theirs.resentBytes);
      }
      rows.push(row);
    }
  }
  return rows;
}

export function renderReport(run: BenchRun, oursTools: readonly ToolName[], peers: readonly ToolName[]): string {
  const lines: string[] = [];
  const m = run.machine;
  lines.push(`# Benchmark run ${run.startedAt}${run.scale > 1 ? ` (sizes and counts ÷ ${run.scale}; case names give the full sizes)` : ''}`, '');
  lines.push(`Command: \`${run.command}\` — ${run.startedAt} to ${run.finishedAt}`);
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}`);
  lines.push(`Load average (1/5/15 min): ${run.loadAtStart.join(' / ')} at start, ${run.loadAtEnd.join(' / ')} at end`);
  lines.push(`Peers: ${m.awscli}; ${m.rclone}; @aws-sdk/lib-storage ${m.libStorage}`);
  lines.push(`Settings for every tool: part size ${run.settings.partSizeBytes / MiB} MiB, ${run.settings.concurrency} requests in flight`, '');

  lines.push('## Tierdrop ÷ peer (same run)', '');
  lines.push('Throughput and files/s: above 1 means Tierdrop is faster. Peak RSS and re-sent bytes: below 1 means Tierdrop uses less.');
  lines.push('`tierdrop` is the CLI as shipped (tiered destination); `tierdrop-direct` adds `?mode=direct` (plain objects at their keys, the peers\' job).', '');
  lines.push(`| case | metric | server | Tierdrop | ${peers.map((peer) => `÷ ${peer}`).join(' | ')} | ÷ ceiling |`);
  lines.push(`|---|---|---|---|${peers.map(() => '---:').join('|')}|---:|`);
  for (const row of ratioRows(run, oursTools, peers)) {
    const cells = [...peers, 'ceiling'].map((peer) => {
      const value = row.ratios.get(peer);
      return value === undefined ? '–' : `${value.toFixed(2)}×`;
    });
    lines.push(`| ${row.caseName} | ${row.metric} | ${row.server} | ${row.ours} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push('## Figures', '');
  lines.push('| case | server | tool | files × size | wall s | MiB/s | files/s | peak RSS MiB | journal share | re-sent MiB |');
  lines.push('|---|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const result of run.results) {
    const journal = result.journalSeconds === null ? '' : `${((result.journalSeconds / result.seconds) * 100).toFixed(2)}%`;
    const resent = result.resentBytes === null ? '' : (result.resentBytes / MiB).toFixed(1);
    lines.push(
      `| ${result.case} | ${result.server} | ${result.tool} | ${result.files} × ${sizeText(result.bytes / result.files)} | ${result.seconds.toFixed(2)} | ${(result.bytes / MiB / result.seconds).toFixed(1)} | ${(result.files / result.seconds).toFixed(result.files > 1 ? 0 : 2)} | ${(result.peakRssBytes / MiB).toFixed(0)} | ${journal} | ${resent} |`,
    );
  }
  lines.push('');
  lines.push('The ceiling is one streaming PUT of the same bytes on one connection, timed without its process start-up. Crash rows: wall time and RSS are of the run that finished the job; re-sent = bytes sent over both runs − the file size, counted by a relay in front of the store.', '');

  lines.push('## Targets in this run', '');
  for (const verdict of judgeTargets(run, oursTools, peers)) lines.push(`- ${verdict.holds ? 'HOLDS' : 'MISSED'} — ${verdict.text}`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(0)} MiB`;
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export interface Verdict {
  holds: boolean;
  text: string;
}

export function judgeTargets(run: BenchRun, oursTools: readonly ToolName[], peers: readonly ToolName[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const server of servers(run)) {
    for (const caseName of LARGE_CASES) {
      const ours = find(run, caseName, server, 'tierdrop');
      if (!ours) continue;
      const peerRates = peers.map((peer) => find(run, caseName, server, peer)).filter((result) => result !== undefined);
      const best = Math.max(...peerRates.map(rate));
      const lib = find(run, caseName, server, 'lib-storage');
      const ceiling = find(run, caseName, server, 'ceiling');
      const text = (value: number | undefined) => (value === undefined ? '–' : `${(value / MiB).toFixed(0)} MiB/s`);
      verdicts.push({ holds: rate(ours) >= best, text: `${caseName} on ${server}: Tierdrop ${text(rate(ours))} ≥ best peer ${text(best)}` });
      if (lib) verdicts.push({ holds: rate(ours) >= 1.3 * rate(lib), text: `${caseName} on ${server}: Tierdrop ≥ 1.3× lib-storage (${ratio(rate(ours), rate(lib))})` });
      if (ceiling) verdicts.push({ holds: rate(ours) >= 0.8 * rate(ceiling), text: `${caseName} on ${server}: Tierdrop ≥ 80% of the server ceiling ${text(rate(ceiling))} (${((rate(ours) / rate(ceiling)) * 100).toFixed(0)}%)` });
    }
    for (const oursTool of oursTools) {
      const small = find(run, 'files-10000x4k', server, oursTool);
      if (!small) continue;
      const best = Math.max(...peers.map((peer) => find(run, 'files-10000x4k', server, peer)).filter((result) => result !== undefined).map(rate));
      verdicts.push({ holds: rate(small) >= 1.5 * best, text: `files-10000x4k on ${server}: ${oursTool} ${rate(small).toFixed(0)} files/s ≥ 1.5× best peer ${best.toFixed(0)} files/s (${ratio(rate(small), best)})` });
    }
    const big = find(run, 'large-4g', server, 'tierdrop');
    const base = find(run, 'rss-256m', server, 'tierdrop');
    if (big && base) {
      verdicts.push({ holds: big.peakRssBytes <= 1.2 * base.peakRssBytes, text: `peak RSS of large-4g (${sizeText(big.bytes)}) ${(big.peakRssBytes / MiB).toFixed(0)} MiB ≤ 1.2× that of rss-256m (${sizeText(base.bytes)}) ${(base.peakRssBytes / MiB).toFixed(0)} MiB (${ratio(big.peakRssBytes, base.peakRssBytes)})` });
    }
    if (big) {
      const theirs = peers.map((peer) => find(run, 'large-4g', server, peer)).filter((result) => result !== undefined);
      const lowest = Math.min(...theirs.map((result) => result.peakRssBytes));
      verdicts.push({ holds: big.peakRssBytes < lowest, text: `large-4g on ${server}: Tierdrop peak RSS ${(big.peakRssBytes / MiB).toFixed(0)} MiB below every peer's (lowest ${(lowest / MiB).toFixed(0)} MiB)` });
    }
    const crash = find(run, 'crash-1g', server, 'tierdrop');
    if (crash?.resentBytes != null) {
      const bound = run.settings.concurrency * run.settings.partSizeBytes;
      const others = peers
        .map((peer) => find(run, 'crash-1g', server, peer))
        .filter((result) => result?.resentBytes != null)
        .map((result) => `${result?.tool} ${((result?.resentBytes ?? 0) / MiB).toFixed(0)} MiB`);
      verdicts.push({ holds: crash.resentBytes <= bound, text: `crash-1g on ${server}: Tierdrop re-sent ${(crash.resentBytes / MiB).toFixed(1)} MiB ≤ concurrency × part size ${(bound / MiB).toFixed(0)} MiB (peers: ${others.join(', ')})` });
    }
  }
  return verdicts;
}
