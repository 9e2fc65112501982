// Watched-folder scale: a root of N small files (default 100,000) scanned the first time (uploads
// start meanwhile, as they do for a person), then rescanned unchanged after a restart, with wall
// time and memory for each phase. With --upload the first phase waits for every upload instead.
// Run on demand:  npx tsx bench/sync-scan.ts [--files 100000] [--per-folder 1000] [--upload] [--keep]
//                 [--cpu-profile DIR]   (one .cpuprofile per phase, for bench/profile-summary.ts)
// The store is a local folder (file://…?mode=direct), so the figures are Tierdrop's own cost.
//
// Without --upload, the index is then marked synced directly in the journal, as a finished first
// sync would leave it (same size, mtime and inode per path), so the rescans measure the scan and
// not the engine's per-file upload cost, which the transfer benchmarks cover.
//
// 100,000 files, 2-core machine shared with other builds (load ~15, so wall time is mostly waiting;
// CPU time is the steadier figure), before → after the rescan work of issue 8:
//   first scan        83.4 s wall, 18.2 s CPU → 8.6 s wall, 5.0 s CPU
//   unchanged rescan  13.4–19.0 s wall, 7.2–8.6 s CPU → 9.0 s wall, 1.9–2.7 s CPU; peak RSS ~175 → ~200 MiB
// (an earlier, less loaded run before the work: first scan 20.3 s, rescans 11.3 and 14.5 s wall). What changed:
// the refill query used the index it was written for (it walked the whole root after every batch),
// walked files are looked up and marked seen a batch per statement, and stat runs without the pool.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SyncService, journalPath } from '../core/service/index.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '100000' },
    'per-folder': { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    upload: { type: 'boolean', default: false },
    'cpu-profile': { type: 'string' },
  },
});
const FILES = Number(values.files);
const PER_FOLDER = Number(values['per-folder']);
const FILE_BYTES = 100; // "small": the cost measured is per file, not per byte

const work = mkdtempSync(join(tmpdir(), 'tierdrop-bench-sync-'));
const folder = join(work, 'folder');
const store = join(work, 'store');
const home = join(work, 'home');
const destination = `${pathToFileURL(store).href}?mode=direct`;

interface Phase {
  phase: string;
  seconds: number;
  scanSeconds: number | null;
  /** CPU time of this process (user + system): on a shared machine, steadier than wall time. */
  cpuSeconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

/** Samples memory every 50 ms while `run` goes, and notes when the root leaves `scanning`. */
async function measure(phase: string, run: (service: SyncService, scanned: () => void) => Promise<void>): Promise<Phase> {
  const { service } = SyncService.open(home, {}, { syncRoots: 'off' });
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const sampler = setInterval(sample, 50);
  const profiler = await startProfile();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let scanSeconds: number | null = null;
  try {
    await run(service, () => {
      scanSeconds ??= (performance.now() - started) / 1000;
    });
  } finally {
    clearInterval(sampler);
    sample();
    await service.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await profiler?.stop(phase);
  return { phase, seconds, scanSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: peakRss / 2 ** 20, peakHeapMiB: peakHeap / 2 ** 20 };
}

/** With --cpu-profile, a V8 profile of one phase written as `DIR/NN-phase.cpuprofile`. */
async function startProfile(): Promise<{ stop(phase: string): Promise<void> } | null> {
  const dir = values['cpu-profile'];
  if (dir === undefined) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async (phase) => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      profileCount += 1;
      const name = `${String(profileCount).padStart(2, '0')}-${phase.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')}.cpuprofile`;
      writeFileSync(join(dir, name), JSON.stringify(profile));
    },
  };
}
let profileCount = 0;

/** The first scan: measured until the root leaves `scanning`; the service then stops mid-upload. */
async function firstScan(service: SyncService, scanned: () => void): Promise<void> {
  const root = await service.sync.add(folder, destination, {}, 'once');
  let seenScanning = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const state = service.sync.get(root.id).state;
    if (state === 'scanning') seenScanning = true;
    else if (seenScanning || state === 'error') break;
  }
  scanned();
}

/** What a finished first sync leaves in the index: every entry synced, no transfer outstanding. */
function markIndexSynced(): void {
  const db = new Database(journalPath(home));
  try {
    db.prepare("UPDATE sync_index SET status = 'synced', content_hash = 'seeded-by-bench', upload_id = NULL").run();
    db.prepare("UPDATE uploads SET state = 'cancelled' WHERE state NOT IN ('done', 'cancelled')").run();
  } finally {
    db.close();
  }
}

async function syncOnce(service: SyncService, scanned: () => void): Promise<void> {
  const root = await service.sync.add(folder, destination, {}, 'once');
  // Idle means scanned and nothing left to upload: for an unchanged root, the rescan's whole cost.
  await service.sync.whenIdle(root.id);
  scanned();
  const view = service.sync.get(root.id);
  if (view.pendingCount !== 0 || view.failedCount !== 0) throw new Error(`Sync left ${view.pendingCount} pending, ${view.failedCount} failed.`);
}

async function main(): Promise<void> {
  process.stderr.write(`Writing ${FILES} files of ${FILE_BYTES} B under ${folder}…\n`);
  for (let index = 0; index < FILES; index += 1) {
    const sub = join(folder, `d${String(Math.floor(index / PER_FOLDER)).padStart(4, '0')}`);
    if (index % PER_FOLDER === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${index}.txt`), `${index}`.padEnd(FILE_BYTES, '.'));
  }
  const phases: Phase[] = [];
  if (values.upload === true) {
    phases.push(await measure('first sync (scan + upload of every file)', syncOnce));
  } else {
    phases.push(await measure('first scan (uploads starting meanwhile)', firstScan));
    markIndexSynced();
  }
  phases.push(await measure('rescan after restart, unchanged', syncOnce));
  phases.push(await measure('rescan again, unchanged', syncOnce));
  for (const phase of phases) {
    const scan = phase.scanSeconds === null ? '' : `, scan ${phase.scanSeconds.toFixed(2)} s`;
    process.stdout.write(
      `${phase.phase}: ${phase.seconds.toFixed(2)} s${scan}, CPU ${phase.cpuSeconds.toFixed(2)} s; peak RSS ${phase.peakRssMiB.toFixed(0)} MiB, peak heap ${phase.peakHeapMiB.toFixed(0)} MiB\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ files: FILES, fileBytes: FILE_BYTES, phases })}\n`);
}

try {
  await main();
} finally {
  if (values.keep !== true) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`Kept ${work}\n`);
}
