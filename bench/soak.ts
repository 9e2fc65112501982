// `npm run soak` (on demand, not in CI, bounded under 10 minutes): on each store (our S3 and GCS test
// servers), 50 random SIGKILLs of the uploading CLI, each followed by `tierdrop resume`, on a tiered
// destination with 5% faults of every kind the server can inject; then every object is checked
// against its source. One PASS/FAIL line per store; exits 1 unless every store passed.
//   npm run soak -- [--store s3|gcs|both] [--kills N] [--seed N] [--no-build]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildDist } from './build.js';
import { runSoak, soakPassed, SOAK_STORES, type SoakReport, type SoakStore } from './soak-lib.js';

const USAGE = 'usage: npm run soak -- [--store s3|gcs|both] [--kills N] [--seed N] [--no-build]';
const TOTAL_BOUND_MS = 9.5 * 60 * 1000; // the promise is 10 minutes; half a minute for start-up and stops
const VERIFY_RESERVE_MS = 90 * 1000; // reading every object back (a few GB per store) after the last run
const FINISH_RESERVE_MS = 60 * 1000; // for the last round, unkilled, to finish after the kills stop

const Args = z.object({
  store: z.enum(['s3', 'gcs', 'both']),
  kills: z.coerce.number().int().min(1),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).optional(),
  'no-build': z.boolean(),
});

const startedMs = Date.now();
const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

let args: z.infer<typeof Args>;
try {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'both' },
      kills: { type: 'string', default: '50' },
      seed: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  args = Args.parse(values);
} catch (error) {
  process.stderr.write(`${error instanceof z.ZodError ? z.prettifyError(error) : error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}

// Each restart pays the CLI's start-up; from dist/ that is a fraction of tsx's, so 50 kills fit.
if (!args['no-build']) buildDist(say);
const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
const stores: readonly SoakStore[] = args.store === 'both' ? SOAK_STORES : [args.store];

// The stores run at the same time, each with its own server, home and sources, rather than one after
// the other in half the time each: most of a kill cycle is waiting (the CLI's start-up, the random
// delay before the kill, faults' retry back-off), which overlaps well even on 2 cores, and each store
// keeps the whole budget instead of one store's slow round eating into the other's.
const remainingMs = TOTAL_BOUND_MS - (Date.now() - startedMs); // the build above counts too
const finishWithinMs = remainingMs - VERIFY_RESERVE_MS;
const budgetMs = finishWithinMs - FINISH_RESERVE_MS;
say(
  `soak on ${stores.join(' and ')}: ${args.kills} kills each, 5% faults of every kind, seed ${seed}; ` +
    `kills stop after ${(budgetMs / 1000).toFixed(0)} s, runs by ${(finishWithinMs / 1000).toFixed(0)} s`,
);
const reports = await Promise.all(
  stores.map((store) =>
    runSoak({
      store,
      kills: args.kills,
      faultRate: 0.05,
      round: { small: 30, medium: 6, large: 3 },
      killAfterMs: { min: 100, max: 2500 }, // after the run's first output line
      budgetMs,
      finishWithinMs,
      seed,
      log: (text) => say(`[${store}] ${text}`),
    }).catch((error: unknown) => error instanceof Error ? error : new Error(String(error))),
  ),
);

let allPassed = true;
for (const report of reports) {
  if (!(report instanceof Error)) say(JSON.stringify(report, null, 2));
}
for (const [index, report] of reports.entries()) {
  const store = stores[index] ?? '?';
  const passed = !(report instanceof Error) && soakPassed(report) && report.kills >= args.kills;
  allPassed &&= passed;
  say(report instanceof Error ? `FAIL ${store} (seed ${seed}): ${report.message}` : verdict(report, passed));
}
say(`soak took ${((Date.now() - startedMs) / 1000).toFixed(0)} s in total (build included)`);
const changed = args['no-build'] ? [] : sourcesNewerThanBuild();
if (changed.length > 0) {
  // bin/tierdrop.js runs dist/ only while it is newer than every source, so say what ran instead.
  say(`note: ${changed.slice(0, 3).join(', ')}${changed.length > 3 ? '…' : ''} changed after the build; runs started since then loaded the CLI through tsx`);
}
process.exitCode = allPassed ? 0 : 1;

/** Sources under core/ modified after dist/ was built. */
function sourcesNewerThanBuild(): string[] {
  const root = join(import.meta.dirname, '..');
  const builtMs = statSync(join(root, 'dist', 'core', 'cli', 'main.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return readdirSync(join(root, 'core'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && statSync(join(entry.parentPath, entry.name)).mtimeMs > builtMs)
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

function verdict(report: SoakReport, passed: boolean): string {
  if (passed) {
    return `PASS ${report.store}: ${report.intact}/${report.files} objects intact after ${report.kills} kills in ${report.seconds.toFixed(0)} s; nothing open or orphaned; journal ok`;
  }
  return (
    `FAIL ${report.store} (seed ${seed}): ${report.kills}/${args.kills} kills within the time budget, ${report.intact}/${report.files} intact, ` +
    `${report.openMultipartUploads} open multipart uploads, ${report.uploadTemporaries} upload temporaries, ${report.orphans} orphans, ` +
    `${report.unfinishedUploads} unfinished, integrity_check ${report.integrityCheck}`
  );
}
