// Watched-folder scale: a root of N small files (default 100,000) scanned the first time (uploads
// start meanwhile, as they do for a person), then rescanned unchanged after a restart, with wall
// time and memory for each phase. With --upload the first phase waits for every upload instead.
// Run on demand:  npx tsx bench/sync-scan.ts [--files 100000] [--per-folder 1000] [--upload] [--keep]
// The store is a local folder (file://…?mode=direct), so the figures are Tierdrop's own cost.
//
// Without --upload, the index is then marked synced directly in the journal, as a finished first
// sync would leave it (same size, mtime and inode per path), so the rescans measure the scan and
// not the engine's per-file upload cost, which the transfer benchmarks cover.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  return { phase, seconds, scanSeconds, peakRssMiB: peakRss / 2 ** 20, peakHeapMiB: peakHeap / 2 ** 20 };
}

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
      `${phase.phase}: ${phase.seconds.toFixed(2)} s${scan}; peak RSS ${phase.peakRssMiB.toFixed(0)} MiB, peak heap ${phase.peakHeapMiB.toFixed(0)} MiB\n`,
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
