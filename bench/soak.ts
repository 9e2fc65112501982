// `npm run soak` (on demand, not in CI, bounded under 10 minutes): 50 random SIGKILLs of the
// uploading CLI, each followed by `tierdrop resume`, on a tiered destination with 5% faults of every
// kind; then every object is checked against its source. Exits 1 unless everything is intact.
//   npm run soak -- [--kills N] [--seed N]
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';
import { runSoak, soakPassed } from './soak-lib.js';

const { values } = parseArgs({
  options: { kills: { type: 'string', default: '50' }, seed: { type: 'string' }, 'no-build': { type: 'boolean', default: false } },
});
// Each restart pays the CLI's start-up; from dist/ that is a fraction of tsx's, so 50 kills fit.
if (!values['no-build']) buildDist((text) => process.stdout.write(`${text}\n`));
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
process.stdout.write(`soak: ${values.kills} kills, 5% faults of every kind, seed ${seed}\n`);
const report = await runSoak({
  kills: Number(values.kills),
  faultRate: 0.05,
  round: { small: 30, medium: 6, large: 3 },
  killAfterMs: { min: 100, max: 2500 }, // after the run's first output line
  budgetMs: 8 * 60 * 1000, // the kills stop here, leaving time to finish and verify within 10 minutes
  seed,
  log: (text) => process.stdout.write(`${text}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
const allKills = report.kills >= Number(values.kills);
const passed = soakPassed(report) && allKills;
process.stdout.write(
  passed
    ? `PASS: ${report.intact}/${report.files} objects intact after ${report.kills} kills in ${report.seconds.toFixed(0)} s; nothing orphaned; journal ok\n`
    : `FAIL (seed ${seed}): ${report.kills}/${values.kills} kills within the time budget, ${report.intact}/${report.files} intact, ${report.openMultipartUploads} open multipart uploads, ${report.orphans} orphans, ${report.unfinishedUploads} unfinished, integrity_check ${report.integrityCheck}\n`,
);
process.exitCode = passed ? 0 : 1;
