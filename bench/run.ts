// Benchmarks, run on demand (`npm run bench`), never in CI: Tierdrop against the tools people would
// use instead, in the same run on the same machine, against two stores on loopback (our S3 test
// server and s3rver), each in its own process. Every tool runs as a child process, so its time and
// its memory (the peak resident set of its whole process tree) are its own.
//
//   npm run bench                                   # every case, full sizes
//   npm run bench -- --quick                        # every case, sizes ÷ 16 (development)
//   npm run bench -- --scale 8                      # every case, sizes and counts ÷ 8
//   npm run bench -- --case large-1g --server test-server --tool tierdrop --tool rclone
//   TIERDROP_BENCH_BASELINE_CLI=/path/launcher.mjs npm run bench -- --tool tierdrop --tool tierdrop-baseline
//
// Writes bench/out/results.json, bench/out/report.md (ratios, figures, targets) and
// bench/out/chart.svg, and copies the chart to docs/bench/chart.svg.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';
import { renderChart } from './chart.js';
import { describeMachine, loadAverage } from './machine.js';
import { killTree, runTool, startTool } from './measure.js';
import { ensurePeers } from './peers.js';
import { startCountingProxy } from './proxy.js';
import { renderReport, type BenchResult, type BenchRun, type CaseKind } from './report.js';
import { startServer, testServerStats, type BenchServer, type ServerKind } from './servers.js';
import { BASELINE, OURS, PEERS, TOOLS, finishCommand, journalStatsPath, uploadCommand, type ToolName, type TransferSettings, type UploadJob } from './tools.js';
import { makeFile, makeFolder } from './workload.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const DOCS = join(ROOT, 'docs', 'bench');
const SETTINGS: TransferSettings = { partSizeBytes: 16 * MiB, concurrency: 8 };
const QUICK_DIVISOR = 16; // --quick: every size and count divided by this
const CRASH_AT_FRACTION = 0.5;

interface BenchCase {
  name: string;
  kind: CaseKind;
  /** One file of this size, or `files` files of this size each. */
  sizeBytes: number;
  files: number;
  tools: readonly ToolName[];
  servers: readonly ServerKind[];
  /** Also measure one streaming PUT of the same bytes. */
  ceiling: boolean;
  /**
   * Never scaled down: the crash bound (concurrency × part size = 128 MiB in flight) and the
   * memory baseline mean nothing for a file smaller than the parts in flight.
   */
  fullSizeAlways?: boolean;
}

const SERVERS: readonly ServerKind[] = ['test-server', 's3rver'];
// For one large file the two modes do the same requests but a tombstone; the runs are kept for
// the cases where they differ, so the whole run fits in the evening's quiet half hour.
const TOOLS_BUT_DIRECT = TOOLS.filter((tool) => tool !== 'tierdrop-direct');

// In order of what the targets need most, so a run cut short keeps the figures that matter.
const CASES: BenchCase[] = [
  { name: 'large-1g', kind: 'throughput', sizeBytes: 1 * GiB, files: 1, tools: TOOLS, servers: SERVERS, ceiling: true },
  { name: 'files-10000x4k', kind: 'throughput', sizeBytes: 4 * 1024, files: 10_000, tools: TOOLS, servers: SERVERS, ceiling: false },
  { name: 'crash-1g', kind: 'crash', sizeBytes: 1 * GiB, files: 1, tools: TOOLS_BUT_DIRECT, servers: SERVERS, ceiling: false, fullSizeAlways: true },
  // Tierdrop's own memory bound: the same settings for a small and a large file.
  { name: 'rss-256m', kind: 'throughput', sizeBytes: 256 * MiB, files: 1, tools: ['tierdrop'], servers: ['test-server'], ceiling: false, fullSizeAlways: true },
  { name: 'large-4g', kind: 'throughput', sizeBytes: 4 * GiB, files: 1, tools: TOOLS_BUT_DIRECT, servers: SERVERS, ceiling: true },
  { name: 'files-1000x1m', kind: 'throughput', sizeBytes: 1 * MiB, files: 1000, tools: TOOLS, servers: SERVERS, ceiling: false },
  { name: 'rss-2g', kind: 'throughput', sizeBytes: 2 * GiB, files: 1, tools: ['tierdrop'], servers: ['test-server'], ceiling: false, fullSizeAlways: true },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string', multiple: true },
      server: { type: 'string', multiple: true },
      tool: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      /** Divide every size and count by this (--quick is --scale 16). */
      scale: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const divisor = values.scale !== undefined ? Number(values.scale) : values.quick ? QUICK_DIVISOR : 1;
  if (!Number.isFinite(divisor) || divisor < 1) throw new Error(`--scale expects a number ≥ 1, not ${values.scale}`);
  const quick = divisor > 1;
  const wantedCases = values.case ?? CASES.map((bench) => bench.name);
  const wantedServers = values.server ?? [...SERVERS];
  const wantedTools = values.tool ?? [...TOOLS];
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

  if (!values['no-install'] && wantedTools.some((tool) => tool === 'awscli' || tool === 'rclone')) ensurePeers(log);
  const machine = describeMachine();
  const loadAtStart = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'tierdrop-bench-'));
  mkdirSync(OUT, { recursive: true });
  const results: BenchResult[] = [];
  const startedAt = new Date();
  const header = () => ({ command, quick, scale: divisor, startedAt: startedAt.toISOString(), machine, loadAtStart, settings: SETTINGS });
  if (!values['no-build']) {
    buildDist(log);
    snapshotCli();
  }
  // Server by server, so a run cut short still has every case against one store; sources are
  // written once and kept for the second server.
  const sources = new Map<string, { path: string; sized: BenchCase }>();
  const sourceOf = (bench: BenchCase) => {
    const known = sources.get(bench.name);
    if (known) return known;
    // --quick shrinks everything (a smoke test); --scale keeps the cases whose point is their size.
    const scaled = bench.fullSizeAlways === true && !values.quick ? 1 : divisor;
    const sizeBytes = bench.files === 1 ? Math.max(8 * MiB, Math.round(bench.sizeBytes / scaled)) : bench.sizeBytes;
    const files = bench.files === 1 ? 1 : Math.max(10, Math.round(bench.files / scaled));
    const sized = { ...bench, sizeBytes, files };
    const folder = join(work, 'source', bench.name);
    log(`(writing ${files} × ${formatBytes(sizeBytes)} of random bytes)`);
    if (files === 1) makeFile(join(folder, `${bench.name}.bin`), sizeBytes);
    else makeFolder(folder, files, sizeBytes);
    const made = { path: files === 1 ? join(folder, `${bench.name}.bin`) : folder, sized };
    sources.set(bench.name, made);
    return made;
  };
  try {
    for (const serverKind of SERVERS.filter((kind) => wantedServers.includes(kind))) {
      for (const bench of CASES.filter((candidate) => wantedCases.includes(candidate.name) && candidate.servers.includes(serverKind))) {
        const { path: sourcePath, sized } = sourceOf(bench);
        log(`\n== ${bench.name} on ${serverKind}: ${sized.files} × ${formatBytes(sized.sizeBytes)}`);
        // The baseline build runs wherever the CLI does, right before it, when it was asked for.
        const caseTools = bench.tools.flatMap((name): ToolName[] => (name === 'tierdrop' ? [BASELINE, name] : [name]));
        for (const tool of caseTools.filter((name) => wantedTools.includes(name))) {
          const server = await startServer(serverKind, join(work, 'store'), 'bench');
          try {
            const job: UploadJob = {
              server,
              sourcePath,
              isFolder: sized.files > 1,
              prefix: `${bench.name}-${tool}`,
              settings: SETTINGS,
              workDir: join(work, 'runs', `${bench.name}-${serverKind}-${tool}`),
            };
            const result = bench.kind === 'crash' ? await crashRun(sized, tool, job) : await throughputRun(sized, tool, job);
            results.push(result);
            log(describe(result));
            writeResults({ ...header(), finishedAt: new Date().toISOString(), loadAtEnd: loadAverage(), results });
          } catch (error) {
            // One tool failing (a peer that cannot talk to this store) must not lose the rest of the run.
            log(`${serverKind} ${tool} ${bench.name}: FAILED ${error instanceof Error ? error.message.slice(0, 600) : String(error)}`);
          } finally {
            await server.stop();
            rmSync(join(work, 'store'), { recursive: true, force: true });
          }
        }
        if (bench.ceiling) {
          const server = await startServer(serverKind, join(work, 'store'), 'bench');
          try {
            const result = await ceilingRun(sized, sourcePath, server, join(work, 'runs', `${bench.name}-${serverKind}-ceiling`));
            results.push(result);
            log(describe(result));
            writeResults({ ...header(), finishedAt: new Date().toISOString(), loadAtEnd: loadAverage(), results });
          } finally {
            await server.stop();
            rmSync(join(work, 'store'), { recursive: true, force: true });
          }
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const report = writeResults({ ...header(), finishedAt: new Date().toISOString(), loadAtEnd: loadAverage(), results });
  process.stdout.write(`\n${report}\nWrote bench/out/results.json, bench/out/report.md, bench/out/chart.svg (copied to docs/bench/chart.svg).\n`);
}

/**
 * Freezes the CLI just built for the whole run. bin/tierdrop.js rightly stops trusting dist/ as
 * soon as anyone saves a file under core/, and on a shared tree that happens within minutes, so
 * later cases would measure the TypeScript loader instead. The copy lives inside the repository
 * so its imports still resolve node_modules.
 */
function snapshotCli(): void {
  const snapshot = join(OUT, 'cli');
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist', 'core'), join(snapshot, 'core'), { recursive: true });
  const launcher = join(snapshot, 'tierdrop.mjs');
  writeFileSync(launcher, "const { main } = await import('./core/cli/main.js');\nprocess.exitCode = await main(process.argv.slice(2));\n");
  process.env['TIERDROP_BENCH_CLI'] = launcher;
  log(`(the CLI runs from a copy of dist/ made now: ${launcher})`);
}

/** Writes the figures so far (after every result, so an interrupted run still leaves them). */
function writeResults(run: BenchRun): string {
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  const report = renderReport(run, OURS, PEERS);
  writeFileSync(join(OUT, 'report.md'), report);
  writeFileSync(join(OUT, 'chart.svg'), renderChart(run, OURS, PEERS));
  mkdirSync(DOCS, { recursive: true });
  copyFileSync(join(OUT, 'chart.svg'), join(DOCS, 'chart.svg'));
  return report;
}

async function throughputRun(bench: BenchCase, tool: ToolName, job: UploadJob): Promise<BenchResult> {
  const measured = await runTool(uploadCommand(tool, job), `${bench.name} ${tool} on ${job.server.kind}`);
  return {
    case: bench.name,
    kind: bench.kind,
    server: job.server.kind,
    tool,
    files: bench.files,
    bytes: bench.files * bench.sizeBytes,
    seconds: measured.seconds,
    peakRssBytes: measured.peakRssBytes,
    journalSeconds: OURS.includes(tool) ? readJournalSeconds(job) : null,
    resentBytes: null,
  };
}

/**
 * Kills the tool's whole process tree once half the file has gone up, then lets the tool finish
 * its own way. A relay in front of the store decides when to kill, the same way for every tool;
 * re-sent bytes = body bytes the store received in both runs − the file's size.
 */
async function crashRun(bench: BenchCase, tool: ToolName, job: UploadJob): Promise<BenchResult> {
  const proxy = await startCountingProxy(job.server.endpoint);
  const viaProxy: UploadJob = { ...job, server: { ...job.server, endpoint: proxy.endpoint } };
  try {
    const first = startTool(uploadCommand(tool, viaProxy));
    const killAt = bench.sizeBytes * CRASH_AT_FRACTION;
    const watcher = setInterval(() => {
      if (proxy.bytesUp() >= killAt && first.child.pid !== undefined) killTree(first.child.pid);
    }, 5);
    const firstRun = await first.done;
    clearInterval(watcher);
    if (firstRun.signal !== 'SIGKILL') throw new Error(`${bench.name} ${tool}: ended before the kill (${firstRun.code}): ${firstRun.stderrTail}`);
    const before = proxy.bytesUp();
    const finish = await runTool(finishCommand(tool, viaProxy), `${bench.name} ${tool} finishing`);
    const total = await bodyBytesSent(job.server, proxy.bytesUp());
    return {
      case: bench.name,
      kind: bench.kind,
      server: job.server.kind,
      tool,
      files: 1,
      bytes: bench.sizeBytes,
      seconds: finish.seconds,
      peakRssBytes: Math.max(firstRun.peakRssBytes, finish.peakRssBytes),
      journalSeconds: null,
      resentBytes: Math.max(0, total - bench.sizeBytes),
      sentBeforeKillBytes: before,
    };
  } finally {
    await proxy.close();
  }
}

/**
 * Bytes the store received over both runs. Our test server counts request bodies (parts and
 * objects, including parts cut off by the kill), so headers and aws-chunked framing are left out
 * and the figure compares exactly with concurrency × part size; s3rver has no such counter, so
 * there the relay's count of everything on the wire stands.
 */
async function bodyBytesSent(server: BenchServer, relayBytes: number): Promise<number> {
  if (server.kind !== 'test-server') return relayBytes;
  const stats = await testServerStats(server.endpoint);
  return stats.partBytesReceived + stats.objectBytesReceived;
}

async function ceilingRun(bench: BenchCase, sourcePath: string, server: BenchServer, workDir: string): Promise<BenchResult> {
  mkdirSync(workDir, { recursive: true });
  const out = join(workDir, 'ceiling.json');
  const measured = await runTool(
    {
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'bench', 'ceiling-put.ts'), '--endpoint', server.endpoint, '--bucket', server.bucket, '--out', out, sourcePath],
      env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
      cwd: ROOT,
    },
    `${bench.name} ceiling on ${server.kind}`,
  );
  const timed = JSON.parse(readFileSync(out, 'utf8')) as { seconds: number };
  return {
    case: bench.name,
    kind: bench.kind,
    server: server.kind,
    tool: 'ceiling',
    files: 1,
    bytes: bench.sizeBytes,
    seconds: timed.seconds,
    peakRssBytes: measured.peakRssBytes,
    journalSeconds: null,
    resentBytes: null,
  };
}

function readJournalSeconds(job: UploadJob): number | null {
  const path = journalStatsPath(job);
  if (!existsSync(path)) return null;
  return (JSON.parse(readFileSync(path, 'utf8')) as { journalSeconds: number }).journalSeconds;
}

function describe(result: BenchResult): string {
  const rate = result.files > 1 ? `${(result.files / result.seconds).toFixed(0)} files/s` : `${(result.bytes / MiB / result.seconds).toFixed(0)} MiB/s`;
  const journal = result.journalSeconds === null ? '' : `  journal ${((result.journalSeconds / result.seconds) * 100).toFixed(1)}%`;
  const resent = result.resentBytes === null ? '' : `  re-sent ${formatBytes(result.resentBytes)}`;
  return `${result.server.padEnd(12)} ${result.tool.padEnd(12)} ${result.seconds.toFixed(2).padStart(7)} s  ${rate.padStart(14)}  peak RSS ${formatBytes(result.peakRssBytes).padStart(9)}${journal}${resent}`;
}

function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

await main();
