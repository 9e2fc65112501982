// Shared by the crash tests: a destination (local folder or the S3 test server), the real CLI run
// with TIERDROP_CRASH_AT, and a look straight at the store and journal after the restart.
import { expect } from 'vitest';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { openDestination } from '../../core/tiered/index.js';
import { runCli } from '../support/cli.js';
import { sha256OfStream } from '../support/files.js';

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
    const sha256 = object === null ? null : await sha256OfStream(object.body);
    const referenced = await storage.referencedRevisions();
    const unreferenced: string[] = [];
    for await (const meta of storage.lt.list(storage.layout.ltRoot)) if (!referenced.has(meta.key)) unreferenced.push(meta.key);
    const openUploads: string[] = [];
    for await (const upload of storage.lt.listUploads(opened.prefix)) openUploads.push(upload.key);
    const { journal } = Journal.open(journalPath(home));
    try {
      return { sha256, unreferenced, openUploads, changes: journal.changes.list().length };
    } finally {
      journal.close();
    }
  } finally {
    await storage.dispose();
  }
}
