// The soak: a mixed workload uploaded by the real CLI to a tiered destination on the S3 test server
// (its own process) that injects 5% faults of every kind, while the uploading process is SIGKILLed
// at random moments and restarted with `tierdrop resume`. At the end every object must read back
// sha256-equal to its source, no multipart upload may be left open, no LT revision orphaned, and
// the journal must pass SQLite's integrity_check. Shared by `npm run soak` and the short test.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { joinKey } from '../core/backends/index.js';
import { Journal } from '../core/journal/index.js';
import { journalPath } from '../core/service/home.js';
import { findOrphans, openDestination } from '../core/tiered/index.js';
import { startCli, type CliRun } from '../test/support/cli.js';
import { killTree } from './measure.js';
import { startServer, type BenchServer } from './servers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'soak';
const PREFIX = 'data';
const PART_SIZE = '5MiB'; // S3's smallest, so a few MiB make a multipart upload of several parts

export interface SoakOptions {
  /** SIGKILLs of the uploading process, each followed by `tierdrop resume`. */
  kills: number;
  /** Probability of each kind of injected fault, per request. */
  faultRate: number;
  /** Files per round: small (inline in HV), medium (one request) and large (multipart). */
  round: { small: number; medium: number; large: number };
  /** A kill lands this long after the process started (uniformly in between). */
  killAfterMs: { min: number; max: number };
  /** Stop killing after this long and let the last run finish. */
  budgetMs: number;
  seed: number;
  log: (text: string) => void;
}

export interface SoakReport {
  kills: number;
  rounds: number;
  runs: number;
  files: number;
  bytes: number;
  intact: number;
  mismatched: string[];
  openMultipartUploads: number;
  orphans: number;
  unfinishedUploads: number;
  /** What each unfinished upload says: key, state, and its error if it failed. */
  unfinishedDetails: string[];
  integrityCheck: string;
  seconds: number;
  serverRequests: Record<string, number>;
}

/** A small, seedable PRNG (mulberry32), so a failing soak can be replayed with its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const random = prng(options.seed);
  const between = (min: number, max: number) => Math.floor(min + random() * (max - min + 1));
  const work = mkdtempSync(join(tmpdir(), 'tierdrop-soak-'));
  const home = join(work, 'home');
  const sources = join(work, 'sources');
  const faults = options.faultRate;
  const server = await startServer('test-server', join(work, 'store'), BUCKET, [
    '--error-rate',
    `*=${faults}`,
    '--reset-rate',
    `*=${faults}`,
    '--complete-error-rate',
    `${faults}`,
    '--seed',
    `${options.seed}`,
  ]);
  const url = `s3://${BUCKET}/${PREFIX}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
  const startedMs = Date.now();
  let kills = 0;
  let runs = 0;
  let rounds = 0;
  try {
    // Rounds of new folders until every kill has been spent (or the time is up).
    while (kills < options.kills && Date.now() - startedMs < options.budgetMs) {
      rounds += 1;
      const folder = join(sources, `round-${rounds}`);
      writeRound(folder, options.round, between);
      let run = startCli(['upload', folder, '--to', url, '--part-size', PART_SIZE, '--concurrency', '4', '--json'], { home });
      runs += 1;
      // Only once the upload is in the journal may it be killed: before that, resume has nothing to find.
      let queued = await admitted(run, options.round.small + options.round.medium + options.round.large);
      for (;;) {
        const canKill = queued && kills < options.kills && Date.now() - startedMs < options.budgetMs;
        const outcome = canKill ? await killOrExit(run, between(options.killAfterMs.min, options.killAfterMs.max)) : await exitOf(run);
        if (outcome === 'killed') {
          kills += 1;
          options.log(`kill ${kills}/${options.kills} (round ${rounds}, run ${runs})`);
        } else if (outcome === 0) {
          break;
        } else if (!queued) {
          throw new Error(`the first upload of round ${rounds} failed (${outcome}): ${run.stderr().slice(-2000)}`);
        } else {
          options.log(`run ${runs} exited with ${outcome}; resuming`);
        }
        run = startCli(['resume', '--json'], { home });
        runs += 1;
        queued = true;
      }
    }
    // Whatever a last failure left behind, one more resume with faults still on finishes it.
    const last = await exitOf(startCli(['resume', '--json'], { home }));
    runs += 1;
    if (last !== 0) options.log(`the final resume exited with ${last}`);
    const seconds = (Date.now() - startedMs) / 1000;
    return { ...(await verify(server, url, home, sources)), kills, rounds, runs, seconds };
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function writeRound(folder: string, round: SoakOptions['round'], between: (min: number, max: number) => number): void {
  mkdirSync(join(folder, 'small'), { recursive: true });
  mkdirSync(join(folder, 'medium'), { recursive: true });
  mkdirSync(join(folder, 'large'), { recursive: true });
  for (let index = 0; index < round.small; index += 1) writeFileSync(join(folder, 'small', `s${index}.bin`), randomBytes(between(0, 64 * KiB)));
  for (let index = 0; index < round.medium; index += 1) writeFileSync(join(folder, 'medium', `m${index}.bin`), randomBytes(between(1 * MiB, 4 * MiB)));
  for (let index = 0; index < round.large; index += 1) writeFileSync(join(folder, 'large', `l${index}.bin`), randomBytes(between(11 * MiB, 24 * MiB)));
}

/**
 * Whether the run's uploads are all in the journal before it exited: a folder is admitted in chunks
 * (one `transfers.added` event each), and only what was admitted can be resumed after a kill.
 */
function admitted(run: CliRun, expected: number): Promise<boolean> {
  const count = () => run.events().reduce((sum, event) => sum + (event['type'] === 'transfers.added' && Array.isArray(event['transfers']) ? event['transfers'].length : 0), 0);
  return new Promise((resolve) => {
    if (count() >= expected) resolve(true);
    run.onEvent(() => {
      if (count() >= expected) resolve(true);
    });
    void run.exited.then(() => resolve(count() >= expected));
  });
}

async function exitOf(run: CliRun): Promise<number | string> {
  const { code, signal } = await run.exited;
  return code ?? signal ?? 'unknown';
}

/**
 * Kills the run `afterMs` after its first output line (so the kill lands in the work, not only in
 * start-up), unless it exits first. A run that had just finished when the kill came is a finish.
 */
async function killOrExit(run: CliRun, afterMs: number): Promise<'killed' | number | string> {
  const exited = exitOf(run);
  const spoke = new Promise<void>((resolve) => {
    run.child.stdout?.once('data', () => resolve());
  });
  if ((await Promise.race([spoke.then(() => 'spoke' as const), exited])) !== 'spoke') return exitOf(run);
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'killed'>((resolve) => {
    timer = setTimeout(() => {
      if (run.child.pid !== undefined) killTree(run.child.pid);
      resolve('killed');
    }, afterMs);
  });
  const first = await Promise.race([killed, exited]);
  clearTimeout(timer);
  if (first !== 'killed') return first;
  const { code } = await run.exited;
  return code === 0 ? 0 : 'killed';
}

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function listFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found.sort();
}

async function verify(
  server: BenchServer,
  url: string,
  home: string,
  sources: string,
): Promise<Omit<SoakReport, 'kills' | 'rounds' | 'runs' | 'seconds'>> {
  // Faults off: from here on the store is asked what it holds, not tested.
  await fetch(`${server.endpoint}/__admin/faults`, { method: 'POST', body: '{}' });
  const serverRequests = ((await (await fetch(`${server.endpoint}/__admin/stats`)).json()) as { requests: Record<string, number> }).requests;
  // The S3 backend reads credentials from the environment, as the CLI does.
  process.env['AWS_ACCESS_KEY_ID'] = server.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = server.secretAccessKey;
  const { journal } = Journal.open(journalPath(home));
  const tieredView = openDestination(url, { changes: journal.changes });
  const raw = openDestination(`${url}&mode=direct`);
  try {
    const files = listFiles(sources);
    const mismatched: string[] = [];
    let bytes = 0;
    for (const path of files) {
      const key = joinKey(tieredView.prefix, relative(sources, path));
      const object = await tieredView.backend.get(key);
      const expected = await sha256(createReadStream(path));
      if (object === null || (await sha256(object.body)) !== expected) mismatched.push(key);
      else bytes += object.meta.sizeBytes;
    }
    let openMultipartUploads = 0;
    for await (const upload of raw.backend.listUploads('')) {
      if (upload.key !== '') openMultipartUploads += 1;
    }
    const orphans = tieredView.tiered === null ? [] : await findOrphans(tieredView.tiered, journal, 0);
    const unfinished = journal.listUploads().filter((row) => row.state !== 'done');
    const unfinishedUploads = unfinished.length;
    const unfinishedDetails = unfinished.map((row) => `${row.key}: ${row.state}${row.errorCode === null ? '' : ` (${row.errorCode}: ${row.errorMessage ?? ''})`}`);
    const db = new Database(journalPath(home), { readonly: true });
    const integrityCheck = String(db.pragma('integrity_check', { simple: true }));
    db.close();
    return {
      files: files.length,
      bytes,
      intact: files.length - mismatched.length,
      mismatched,
      openMultipartUploads,
      orphans: orphans.length,
      unfinishedUploads,
      unfinishedDetails,
      integrityCheck,
      serverRequests,
    };
  } finally {
    await tieredView.backend.dispose();
    await raw.backend.dispose();
    journal.close();
  }
}

/** Whether the soak passed: everything intact, nothing orphaned, nothing left, journal sound. */
export function soakPassed(report: SoakReport): boolean {
  return (
    report.files > 0 &&
    report.intact === report.files &&
    report.openMultipartUploads === 0 &&
    report.orphans === 0 &&
    report.unfinishedUploads === 0 &&
    report.integrityCheck === 'ok'
  );
}
