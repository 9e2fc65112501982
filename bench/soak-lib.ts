// The soak: a mixed workload uploaded by the real CLI to a tiered destination on one of our protocol
// test servers (S3 or GCS, its own process) that injects faults of every kind it supports, while the
// uploading process is SIGKILLed at random moments and restarted with `tierdrop resume`. At the end
// every object must read back sha256-equal to its source, no multipart upload may be left open (on
// GCS: no manifest, part or intermediate of a composite upload), no LT revision orphaned, and the
// journal must pass SQLite's integrity_check. Shared by `npm run soak` and the short test.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { joinKey, type StoreBackend } from '../core/backends/index.js';
import { RESERVED_PREFIX } from '../core/backends/gcs/index.js';
import { Journal } from '../core/journal/index.js';
import { journalPath } from '../core/service/home.js';
import { findOrphans, openDestination } from '../core/tiered/index.js';
import { startCli, type CliRun } from '../test/support/cli.js';
import { killTree } from './measure.js';
import { startGcsServer, startServer } from './servers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'soak';
const PREFIX = 'data';
const PART_SIZE = '5MiB'; // S3's smallest, so a few MiB make a multipart upload of several parts
const PAGE_SIZE = 1000; // the GCS JSON API's largest listing page

/** The protocol test server a soak runs against. */
export type SoakStore = 's3' | 'gcs';
export const SOAK_STORES: readonly SoakStore[] = ['s3', 'gcs'];

export interface SoakOptions {
  store: SoakStore;
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
  /** The final resume is killed if it is still running this long after the start (then verified as is). */
  finishWithinMs: number;
  seed: number;
  log: (text: string) => void;
}

export interface SoakReport {
  store: SoakStore;
  /** The injected fault kinds, as the server was told: `--error-rate *=0.05`… */
  faults: string[];
  kills: number;
  rounds: number;
  runs: number;
  files: number;
  bytes: number;
  intact: number;
  mismatched: string[];
  /** Uploads the backend lists as open (S3 multipart uploads; GCS composite-upload manifests or part folders). */
  openMultipartUploads: number;
  /** GCS: objects left under the composite uploads' reserved prefix (manifests, parts, intermediates). */
  uploadTemporaries: number;
  /** What is left open: each listed upload (key, id), then each temporary object (name, metadata). */
  openUploadDetails: string[];
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
  const work = mkdtempSync(join(tmpdir(), `tierdrop-soak-${options.store}-`));
  const home = join(work, 'home');
  const sources = join(work, 'sources');
  let store: StoreUnderTest | null = null;
  try {
    store = await startStore(options.store, join(work, 'store'), options.faultRate, options.seed);
    const url = store.url;
    const startedMs = Date.now();
    const untilFinishMs = () => Math.max(0, startedMs + options.finishWithinMs - Date.now());
    let kills = 0;
    let runs = 0;
    let rounds = 0;
    let overtime = false;
    // Rounds of new folders until every kill has been spent (or the time is up).
    while (!overtime && kills < options.kills && Date.now() - startedMs < options.budgetMs) {
      rounds += 1;
      const folder = join(sources, `round-${rounds}`);
      writeRound(folder, options.round, between);
      let run = startCli(['upload', folder, '--to', url, '--part-size', PART_SIZE, '--concurrency', '4', '--json'], { home });
      runs += 1;
      // Only once the upload is in the journal may it be killed: before that, resume has nothing to find.
      let queued = await admitted(run, options.round.small + options.round.medium + options.round.large);
      for (;;) {
        const canKill = queued && kills < options.kills && Date.now() - startedMs < options.budgetMs;
        // Past the kill budget a run is let finish, but not beyond the finish deadline.
        const outcome = canKill
          ? await killOrExit(run, between(options.killAfterMs.min, options.killAfterMs.max))
          : await killOrExit(run, untilFinishMs(), { fromStart: true });
        if (outcome === 'killed' && !canKill) {
          options.log(`run ${runs} was still running at the finish deadline (${options.finishWithinMs / 1000} s); killed`);
          overtime = true;
          break;
        }
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
    // Whatever a last failure left behind, one more resume with faults still on finishes it; bounded
    // like every run after the kill budget, and what it leaves unfinished the checks below report.
    if (!overtime) {
      const last = await killOrExit(startCli(['resume', '--json'], { home }), untilFinishMs(), { fromStart: true });
      runs += 1;
      if (last === 'killed') options.log(`the final resume was still running at the finish deadline (${options.finishWithinMs / 1000} s); killed`);
      else if (last !== 0) options.log(`the final resume exited with ${last}`);
    }
    const seconds = (Date.now() - startedMs) / 1000;
    return { ...(await verify(store, home, sources)), store: options.store, faults: store.faults, kills, rounds, runs, seconds };
  } finally {
    await store?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** A running test server of one kind, with what the soak needs to drive it and to check it. */
interface StoreUnderTest {
  endpoint: string;
  /** The tiered destination the CLI uploads to. */
  url: string;
  faults: string[];
  /** Open multipart uploads, and (GCS) objects a composite upload left under its reserved prefix. */
  openUploads(raw: StoreBackend): Promise<{ uploads: string[]; temporaries: string[] }>;
  stop(): Promise<void>;
}

/**
 * Starts the store with every fault kind its server can inject at `rate`: S3 answers 500, resets
 * connections mid-body and answers CompleteMultipartUpload 200 with an <Error>; GCS answers 503
 * backendError and resets connections mid-body (its compose has no 200-with-error answer).
 */
async function startStore(kind: SoakStore, dataDir: string, rate: number, seed: number): Promise<StoreUnderTest> {
  const common = ['--error-rate', `*=${rate}`, '--reset-rate', `*=${rate}`];
  if (kind === 's3') {
    const faults = [...common, '--complete-error-rate', `${rate}`];
    const server = await startServer('test-server', dataDir, BUCKET, [...faults, '--seed', `${seed}`]);
    // The S3 backend reads credentials from the environment, as the CLI does (startCli sets the same).
    process.env['AWS_ACCESS_KEY_ID'] = server.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = server.secretAccessKey;
    return {
      endpoint: server.endpoint,
      url: `s3://${BUCKET}/${PREFIX}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`,
      faults,
      // An S3 part exists only inside an open upload, so the listing is the whole story.
      openUploads: async (raw) => ({ uploads: await listOpenUploads(raw), temporaries: [] }),
      stop: server.stop,
    };
  }
  const server = await startGcsServer(dataDir, BUCKET, [...common, '--seed', `${seed}`]);
  return {
    endpoint: server.endpoint,
    // A loopback endpoint is used anonymously, as the GCS test server expects.
    url: `gs://${BUCKET}/${PREFIX}?endpoint=${encodeURIComponent(server.endpoint)}`,
    faults: common,
    // Composite uploads keep manifests, parts and intermediates as ordinary objects: the backend's
    // listing (what sweeping uses) and a raw listing of the reserved prefix must both be empty.
    openUploads: async (raw) => ({ uploads: await listOpenUploads(raw), temporaries: await listGcsObjects(server.endpoint, BUCKET, RESERVED_PREFIX) }),
    stop: server.stop,
  };
}

async function listOpenUploads(raw: StoreBackend): Promise<string[]> {
  const found: string[] = [];
  for await (const upload of raw.listUploads('')) {
    if (upload.key !== '') found.push(`upload ${upload.key} ${upload.uploadId} (initiated ${new Date(upload.initiatedMs).toISOString()})`);
  }
  return found;
}

/** Objects under `prefix`, listed through the JSON API itself rather than the backend under test. */
async function listGcsObjects(endpoint: string, bucket: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ prefix, maxResults: String(PAGE_SIZE), ...(pageToken === undefined ? {} : { pageToken }) });
    const answer = await fetch(`${endpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o?${query.toString()}`);
    if (!answer.ok) throw new Error(`listing gs://${bucket}/${prefix} answered ${answer.status}: ${await answer.text()}`);
    const page = (await answer.json()) as { items?: Array<{ name?: unknown; timeCreated?: unknown; metadata?: Record<string, unknown> }>; nextPageToken?: string };
    for (const item of page.items ?? []) found.push(`object ${String(item.name)} (created ${String(item.timeCreated)}; metadata ${JSON.stringify(item.metadata ?? {})})`);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && pageToken !== '');
  return found;
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
 * start-up; or after its start, `fromStart`), unless it exits first. A run that had just finished
 * when the kill came is a finish.
 */
async function killOrExit(run: CliRun, afterMs: number, timing: { fromStart: boolean } = { fromStart: false }): Promise<'killed' | number | string> {
  const exited = exitOf(run);
  const spoke = new Promise<void>((resolve) => {
    run.child.stdout?.once('data', () => resolve());
  });
  if (!timing.fromStart && (await Promise.race([spoke.then(() => 'spoke' as const), exited])) !== 'spoke') return exitOf(run);
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
  store: StoreUnderTest,
  home: string,
  sources: string,
): Promise<Omit<SoakReport, 'store' | 'faults' | 'kills' | 'rounds' | 'runs' | 'seconds'>> {
  // Faults off: from here on the store is asked what it holds, not tested.
  await fetch(`${store.endpoint}/__admin/faults`, { method: 'POST', body: '{}' });
  const serverRequests = ((await (await fetch(`${store.endpoint}/__admin/stats`)).json()) as { requests: Record<string, number> }).requests;
  const { journal } = Journal.open(journalPath(home));
  const tieredView = openDestination(store.url, { changes: journal.changes });
  const raw = openDestination(`${store.url}&mode=direct`);
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
    const open = await store.openUploads(raw.backend);
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
      openMultipartUploads: open.uploads.length,
      uploadTemporaries: open.temporaries.length,
      openUploadDetails: [...open.uploads, ...open.temporaries],
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
    report.uploadTemporaries === 0 &&
    report.orphans === 0 &&
    report.unfinishedUploads === 0 &&
    report.integrityCheck === 'ok'
  );
}
