// Shared by the crash tests: a work folder and an S3 test server per file, the destinations they
// crash against, the real CLI run with TIERDROP_CRASH_AT or killed half way through an upload, and a
// look straight at the store and journal after the restart.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { runCli, startCli } from '../support/cli.js';
import { sha256OfFile, sha256OfStream, tempDir } from '../support/files.js';
import type { GcsTestServer } from '../support/gcs-server/index.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { useTestCredentials, waitFor } from '../support/service.js';

/** Several real CLI processes per test (each starts tsx); a loaded two-core machine makes that slow. */
export const CLI_TEST_TIMEOUT_MS = 240_000;

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The stores every phase-boundary crash test runs against. */
export const CRASH_STORES = ['fs', 's3'] as const;
export type CrashStore = (typeof CRASH_STORES)[number];

export interface CrashWorld {
  /** The file's work folder (sources, homes, the local stores). */
  readonly path: string;
  readonly server: S3TestServer;
  /** A fresh destination URL of `kind`; S3 ones live under `{s3Prefix}{n}` in one bucket. */
  destination(kind: CrashStore): string;
  /** A fresh number for a home folder or a source name. */
  next(): number;
}

/** Sets up (beforeAll) and tears down (afterAll) a work folder and an S3 test server for one test file. */
export function useCrashWorld(label: string, s3Prefix: string): CrashWorld {
  let work: ReturnType<typeof tempDir> | null = null;
  let server: S3TestServer | null = null;
  let serial = 0;
  beforeAll(async () => {
    useTestCredentials();
    work = tempDir(label);
    server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
  });
  afterAll(async () => {
    await server?.close();
    work?.cleanup();
  });
  const started = <T>(value: T | null): T => {
    if (value === null) throw new Error('the crash world is used before beforeAll ran');
    return value;
  };
  return {
    get path() {
      return started(work).path;
    },
    get server() {
      return started(server);
    },
    destination(kind) {
      serial += 1;
      if (kind === 'fs') return `file://${join(started(work).path, `store-${serial}`)}`;
      return `s3://bucket/${s3Prefix}${serial}?endpoint=${encodeURIComponent(started(server).endpoint)}&region=us-east-1`;
    },
    next() {
      serial += 1;
      return serial;
    },
  };
}

export const CRASH_ENV = 'TIERDROP_CRASH_AT';

/** Runs the CLI and expects it to die of SIGKILL at `point`. */
export async function runUntilCrash(args: string[], home: string, point: string): Promise<void> {
  const run = await runCli(args, { home, env: { [CRASH_ENV]: point } });
  if (run.code !== null) throw new Error(`expected a crash at ${point}, but the CLI exited with ${run.code}: ${run.stderr}`);
}

/** The restart: `tierdrop resume` recovers the changelog and finishes what the journal holds. */
export async function restart(home: string): Promise<void> {
  const run = await runCli(['resume'], { home });
  expect(run.stderr).not.toContain('Unexpected error');
  expect(run.code).toBe(0);
}

export interface StoreFacts {
  /** sha256 of what `key` resolves to, or null when there is no object. */
  sha256: string | null;
  /** LT revisions no tombstone names. */
  unreferenced: string[];
  /** Multipart uploads still open anywhere in the store. */
  openUploads: string[];
  /** Changes left in the journal. */
  changes: number;
}

export async function inspect(url: string, home: string, key: string): Promise<StoreFacts> {
  const opened = openDestination(url);
  const storage = opened.tiered;
  if (storage === null) throw new Error('expected a tiered destination');
  try {
    const object = await storage.get(`${opened.prefix}${key}`);
    const objectSha256 = object === null ? null : await sha256OfStream(object.body);
    const referenced = await storage.referencedRevisions();
    const unreferenced: string[] = [];
    for await (const meta of storage.lt.list(storage.layout.ltRoot)) if (!referenced.has(meta.key)) unreferenced.push(meta.key);
    const openUploads: string[] = [];
    for await (const upload of storage.lt.listUploads(opened.prefix)) openUploads.push(upload.key);
    const { journal } = Journal.open(journalPath(home));
    try {
      return { sha256: objectSha256, unreferenced, openUploads, changes: journal.changes.list().length };
    } finally {
      journal.close();
    }
  } finally {
    await storage.dispose();
  }
}

/** After the restart: the key holds one of `allowed` (a sha256, or null for nothing), and nothing is left over. */
export function expectCleanOutcome(facts: StoreFacts, allowed: Array<string | null>): void {
  expect(allowed).toContain(facts.sha256);
  expect(facts.unreferenced).toEqual([]);
  expect(facts.openUploads).toEqual([]);
  expect(facts.changes).toBe(0);
}

/** Starts `args` (a `--json` upload) and kills it with SIGKILL once an item is half done. */
export async function killHalfWay(args: string[], home: string, timeoutMs: number): Promise<{ signal: NodeJS.Signals | null }> {
  const upload = startCli(args, { home });
  let halfWay = false;
  upload.onEvent((event) => {
    if (event['type'] !== 'transfer.progress') return;
    const items = event['items'] as Array<{ bytesDone: number; sizeBytes: number }>;
    if (items.some((item) => item.bytesDone >= item.sizeBytes / 2)) halfWay = true;
  });
  await waitFor(() => halfWay, timeoutMs, 'the upload to reach half way');
  upload.child.kill('SIGKILL');
  return upload.exited;
}

export interface InterruptedUpload {
  /** SQLite's integrity check: empty when the journal is whole. */
  integrity: string[];
  state: string | undefined;
  partsDone: number;
  bytesDone: number;
}

/** What the journal a killed process left says about its one upload. */
export function readInterruptedUpload(home: string): InterruptedUpload {
  const { journal } = Journal.open(journalPath(home));
  try {
    const [row] = journal.listUploads();
    const progress = journal.partProgress(row?.id ?? '');
    return { integrity: journal.integrityCheck(), state: row?.state, partsDone: progress.partsDone, bytesDone: progress.bytesDone };
  } finally {
    journal.close();
  }
}

/** Downloads `key` with the CLI and expects exactly the bytes of `source`. */
export async function expectSameBytes(url: string, home: string, key: string, source: string, copy: string): Promise<void> {
  expect((await runCli(['get', key, '--from', url, '-o', copy], { home })).code).toBe(0);
  expect(await sha256OfFile(copy)).toBe(await sha256OfFile(source));
}

/** What killAndResume needs of a test server: a throttle and its upload byte counters. */
export interface CountingStore {
  setThrottle(bytesPerSec: number | undefined): void;
  resetStats(): void;
  /** Upload body bytes received (failed and cut ones too) and stored, and uploads still being received. */
  uploadBytes(): { received: number; stored: number; inFlight: number };
}

/** The S3 test server counted by its part bodies. */
export function countingS3Parts(server: S3TestServer): CountingStore {
  return {
    setThrottle: (bytesPerSec) => server.setFaults(bytesPerSec === undefined ? {} : { throttleBytesPerSec: bytesPerSec }),
    resetStats: () => server.resetStats(),
    uploadBytes: () => {
      const stats = server.stats();
      return { received: stats.partBytesReceived, stored: stats.partBytesStored, inFlight: stats.inFlightParts };
    },
  };
}

/** The GCS test server counted by its upload bodies (parts are uploads of temporary objects there). */
export function countingGcsUploads(server: GcsTestServer): CountingStore {
  return {
    setThrottle: (bytesPerSec) => server.setFaults(bytesPerSec === undefined ? {} : { throttleBytesPerSec: bytesPerSec }),
    resetStats: () => server.resetStats(),
    uploadBytes: () => {
      const stats = server.stats();
      return { received: stats.uploadBytesReceived, stored: stats.uploadBytesStored, inFlight: stats.inFlightUploads };
    },
  };
}

export interface ResumeOutcome {
  /** Bytes the store did not hold when the upload was killed. */
  missingBytes: number;
  /** Upload body bytes the resume sent. */
  sentAfterKill: number;
}

/**
 * Runs `upload` (a `--json` upload) against a throttled store, kills it half way, checks the journal
 * it left (intact, the upload mid-way with parts done), runs `tierdrop resume`, and counts bytes.
 */
export async function killAndResume(store: CountingStore, upload: string[], home: string, sizeBytes: number, halfWayTimeoutMs: number): Promise<ResumeOutcome> {
  // Slow the store down so that "half way" lasts long enough to be caught.
  store.setThrottle(64 * 1024 * 1024);
  store.resetStats();
  expect((await killHalfWay(upload, home, halfWayTimeoutMs)).signal).toBe('SIGKILL');

  // Let the server notice the dropped connections, then take its count.
  await waitFor(() => store.uploadBytes().inFlight === 0, 10_000, 'in-flight uploads to drop');
  const atKill = store.uploadBytes();
  expect(atKill.stored).toBeGreaterThan(0);
  expect(sizeBytes - atKill.stored).toBeGreaterThan(0);

  const left = readInterruptedUpload(home);
  expect(left.integrity).toEqual([]);
  expect(left.state).toBe('uploading');
  expect(left.partsDone).toBeGreaterThan(0);

  store.setThrottle(undefined);
  const resumed = await runCli(['resume', '--json'], { home });
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(0);
  expect(resumed.events.some((event) => event['type'] === 'journal.recovered')).toBe(true);
  return { missingBytes: sizeBytes - atKill.stored, sentAfterKill: store.uploadBytes().received - atKill.received };
}
