// A crash (SIGKILL of the real CLI) at every phase boundary of a whole-object write: a revision put
// and committed by tombstone, and an inline write over a tombstone. After the restart the key holds
// the old object or the new one, whole, and the store holds no orphan.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { CLI_TEST_TIMEOUT_MS, CRASH_STORES, expectCleanOutcome, inspect, restart, runUntilCrash, sha256, useCrashWorld } from './crash-harness.js';

const world = useCrashWorld('crash-put', 'c');

/** Uploads `before`, then `after` with a crash at `point`, restarts, and judges the store. */
async function crashWhileReplacing(url: string, point: string, before: Buffer, after: Buffer): Promise<void> {
  const serial = world.next();
  const home = join(world.path, `home-${serial}`);
  const source = join(world.path, `file-${serial}`);
  writeFileSync(source, before);
  expect((await runCli(['upload', source, '--to', url], { home })).code).toBe(0);
  writeFileSync(source, after);
  await runUntilCrash(['upload', source, '--to', url], home, point);
  await restart(home);
  expectCleanOutcome(await inspect(url, home, `file-${serial}`), [sha256(before), sha256(after)]);
}

describe.each(CRASH_STORES)('a crash while writing a whole object (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  // A put expects a new key (its change names no replaced revision), so replacing one goes: a refused
  // create-if-absent (put.cas is the first crash point after it), then the change records the
  // replaced revision (put.written) before the second compare-and-write. put.updated is a lazy
  // write a crash loses, so it tests the same state as put.cas from a later point in the code.
  it.each(['put.recorded', 'put.stored', 'put.cas', 'put.written', 'put.updated', 'put.cleaned'])(
    'replacing a revision, at %s',
    async (point) => {
      await crashWhileReplacing(world.destination(kind), point, randomBytes(2 * MiB), randomBytes(3 * MiB));
    },
  );

  it.each(['inline.recorded', 'inline.cas', 'inline.cleaned'])('replacing a revision with an inline object, at %s', async (point) => {
    await crashWhileReplacing(world.destination(kind), point, randomBytes(2 * MiB), randomBytes(4096));
  });
});
