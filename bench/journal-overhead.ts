// How much of an upload's wall time the journal costs: 10,000 small files through the real
// SyncService and engine to a tiered local folder, with every journal call (uploads, parts and the
// changelog) timed. Journal calls are synchronous (better-sqlite3), so their summed time is exact.
//
//   npx tsx bench/journal-overhead.ts [--files 10000] [--size 1024]
//
// Two runs: inline (files below the 1 MiB threshold go inline to HV, no changelog rows) and
// revisions (`?inline-below=0`: every file is an LT revision committed by tombstone, so each one
// also records a change, in one durable insert before its put, and removes it with the next batch).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ChangeStore, Journal } from '../core/journal/index.js';
import { WriteQueue } from '../core/journal/write-queue.js';
import { SyncService } from '../core/service/index.js';

const TARGET_FRACTION = 0.05; // the target: under 5% of wall time

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, size: { type: 'string', default: '1024' } } });
const fileCount = Number(values.files);
const fileBytes = Number(values.size);

/** Time per method name, and the total of the outermost calls (a call made inside another counts once). */
interface Timing {
  ms: number;
  calls: number;
  byMethod: Map<string, { ms: number; calls: number }>;
}
let depth = 0;

/** Wraps every method of `prototype` so the time spent inside it is added to `timing`. */
function timeMethods(prototype: object, label: string, timing: Timing): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    const original: unknown = descriptor?.value;
    if (typeof original !== 'function') continue;
    const method = `${label}.${name}`;
    Object.defineProperty(prototype, name, {
      ...descriptor,
      value: function timed(this: unknown, ...args: unknown[]): unknown {
        const started = performance.now();
        depth += 1;
        try {
          return Reflect.apply(original, this, args);
        } finally {
          depth -= 1;
          const elapsedMs = performance.now() - started;
          if (depth === 0) {
            timing.ms += elapsedMs;
            timing.calls += 1;
            const entry = timing.byMethod.get(method) ?? { ms: 0, calls: 0 };
            entry.ms += elapsedMs;
            entry.calls += 1;
            timing.byMethod.set(method, entry);
          }
        }
      },
    });
  }
}

const journalTime: Timing = { ms: 0, calls: 0, byMethod: new Map() };
timeMethods(Journal.prototype, 'journal', journalTime);
timeMethods(ChangeStore.prototype, 'changes', journalTime);
// Batched writes are flushed from a timer, outside any Journal method: timed where they happen.
timeMethods(WriteQueue.prototype, 'queue', journalTime);

async function run(label: string, query: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tierdrop-journal-bench-'));
  try {
    const source = join(work, 'files');
    mkdirSync(source);
    for (let index = 0; index < fileCount; index += 1) writeFileSync(join(source, `f${String(index).padStart(5, '0')}.bin`), Buffer.alloc(fileBytes, index % 251));
    const { service } = SyncService.open(join(work, 'home'), { filesInFlight: 16, concurrency: 16 });
    try {
      journalTime.ms = 0;
      journalTime.calls = 0;
      journalTime.byMethod.clear();
      const started = performance.now();
      await service.engine.addFiles([source], `file://${join(work, 'store')}${query}`);
      await service.engine.whenIdle();
      const wallMs = performance.now() - started;
      const journalMs = journalTime.ms; // read with the wall clock: the count below is not the upload's
      const journalCalls = journalTime.calls;
      const byMethod = [...journalTime.byMethod].map(([method, entry]) => [method, { ...entry }] as const);
      const done = service.journal.listUploads({ states: ['done'] }).length;
      const fraction = journalMs / wallMs;
      process.stdout.write(
        `${label.padEnd(10)} ${done}/${fileCount} files of ${fileBytes} B in ${(wallMs / 1000).toFixed(1)} s; ` +
          `journal ${journalMs.toFixed(0)} ms in ${journalCalls} calls = ${(fraction * 100).toFixed(2)}% of wall time ` +
          `(${fraction < TARGET_FRACTION ? 'under' : 'OVER'} the ${TARGET_FRACTION * 100}% target)\n`,
      );
      const heaviest = byMethod.sort((a, b) => b[1].ms - a[1].ms).slice(0, 6);
      for (const [method, entry] of heaviest) {
        process.stdout.write(`           ${method.padEnd(28)} ${entry.ms.toFixed(0).padStart(6)} ms  ${String(entry.calls).padStart(6)} calls\n`);
      }
    } finally {
      await service.dispose();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await run('inline', '');
await run('revisions', '?inline-below=0');
