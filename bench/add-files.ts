// How long queuing a dropped folder takes in core: `engine.addFiles([folder], url)` for N small
// files (default 10,000), from the call to its answer, which is what the window waits for before it
// can paint the new rows. Uploads start as soon as rows exist, as they do for a person, so the
// figure includes whatever they take from the same thread meanwhile.
//
//   npx tsx bench/add-files.ts [--files 10000] [--runs 3]
//
// Each run gets a fresh home and store; the folder is written once. Prints every run and the median.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SyncService } from '../core/service/index.js';

const TARGET_MS = 500; // the drop-to-first-paint budget of the whole app; core should use a fraction
const FILE_BYTES = 1024;

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const fileCount = Number(values.files);
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), 'tierdrop-add-bench-'));
try {
  const folder = join(work, 'dropped');
  mkdirSync(folder);
  for (let index = 0; index < fileCount; index += 1) {
    writeFileSync(join(folder, `f${String(index).padStart(5, '0')}.bin`), Buffer.alloc(FILE_BYTES, index % 251));
  }
  const timesMs: number[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const { service } = SyncService.open(join(work, `home-${run}`), {}, { syncRoots: 'off' });
    let events = 0;
    const off = service.on(() => {
      events += 1;
    });
    try {
      const started = performance.now();
      const added = await service.engine.addFiles([folder], pathToFileURL(join(work, `store-${run}`)).href);
      const elapsedMs = performance.now() - started;
      timesMs.push(elapsedMs);
      process.stdout.write(`run ${run}: addFiles of ${added.ids.length} files answered in ${elapsedMs.toFixed(0)} ms (${events} events meanwhile)\n`);
      await service.engine.pauseAll();
    } finally {
      off();
      await service.dispose();
    }
  }
  const median = [...timesMs].sort((a, b) => a - b)[Math.floor(timesMs.length / 2)] ?? 0;
  process.stdout.write(`median ${median.toFixed(0)} ms for ${fileCount} files (${median < TARGET_MS ? 'under' : 'OVER'} the ${TARGET_MS} ms budget)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
