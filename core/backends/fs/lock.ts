// A per-key lock for compare-and-write in a local folder, shared by every process that writes it:
// a lock file created with O_EXCL that names its owner, taken over when the owner is dead or stale.
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TierdropError } from '../../errors/index.js';
import { errnoCode } from './errors.js';

export interface LockTiming {
  /** A lock older than this is taken over: compare-and-write holds one for milliseconds. */
  staleAfterMs: number;
  /** How long to wait for a live holder before giving up with a retryable error. */
  waitMs: number;
}

export const DEFAULT_LOCK_TIMING: LockTiming = { staleAfterMs: 10_000, waitMs: 20_000 };

const POLL_MIN_MS = 2; // first back-off while another writer holds the lock
const POLL_MAX_MS = 50; // a lock is held for one small write, so keep polling brisk

const LockOwner = z.object({ pid: z.number().int(), host: z.string(), acquiredMs: z.number(), nonce: z.string() });
type LockOwner = z.infer<typeof LockOwner>;

/** Runs `work` while holding the lock file at `lockPath`. */
export async function withFileLock<T>(lockPath: string, description: string, timing: LockTiming, work: () => Promise<T>): Promise<T> {
  const ownText = await acquire(lockPath, description, timing);
  try {
    return await work();
  } finally {
    await release(lockPath, ownText);
  }
}

async function acquire(lockPath: string, description: string, timing: LockTiming): Promise<string> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), acquiredMs: Date.now(), nonce: randomUUID() };
  const ownText = JSON.stringify(owner);
  const deadlineMs = Date.now() + timing.waitMs;
  let pollMs = POLL_MIN_MS;
  for (;;) {
    if (await tryCreate(lockPath, ownText)) return ownText;
    const holder = await readHolder(lockPath);
    if (holder === null) continue; // released between our attempt and our look
    if (isStale(holder, timing.staleAfterMs)) {
      await takeOver(lockPath, holder.text);
      continue;
    }
    if (Date.now() >= deadlineMs) {
      const who = holder.owner === null ? 'another writer' : `process ${holder.owner.pid} on ${holder.owner.host}`;
      throw new TierdropError('store_error', `Cannot write ${description}: ${who} has been holding its lock for too long.`, {
        retryable: true,
        hint: `If no other Tierdrop is running, delete ${lockPath}.`,
      });
    }
    await sleep(pollMs + Math.random() * pollMs);
    pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
  }
}

async function tryCreate(lockPath: string, ownText: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(ownText, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

interface Holder {
  text: string;
  /** Null while the holder is still writing its name, or if the file is damaged. */
  owner: LockOwner | null;
  fileMtimeMs: number;
}

async function readHolder(lockPath: string): Promise<Holder | null> {
  try {
    const [text, stats] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { text, owner: parseOwner(text), fileMtimeMs: stats.mtimeMs };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const parsed = LockOwner.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // not JSON: the holder has not finished writing its name
  }
}

function isStale(holder: Holder, staleAfterMs: number): boolean {
  const sinceMs = holder.owner?.acquiredMs ?? holder.fileMtimeMs;
  if (Date.now() - sinceMs > staleAfterMs) return true;
  return holder.owner !== null && holder.owner.host === hostname() && !isProcessAlive(holder.owner.pid);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM'; // exists, but belongs to someone else
  }
}

/**
 * Moves the stale lock aside rather than deleting it, then checks it moved the lock it judged:
 * if a racing writer took it over first, the live lock is put back (link refuses to overwrite).
 */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const asidePath = `${lockPath}.${randomUUID()}.stale`;
  try {
    await rename(lockPath, asidePath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const movedText = await readFile(asidePath, 'utf8');
  if (movedText !== staleText) {
    await link(asidePath, lockPath).catch(() => undefined);
  }
  await unlink(asidePath);
}

async function release(lockPath: string, ownText: string): Promise<void> {
  try {
    const text = await readFile(lockPath, 'utf8');
    if (text === ownText) await unlink(lockPath);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
