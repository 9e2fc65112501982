// A crash (SIGKILL of the real CLI) at every phase boundary of deleting a tiered object: the
// tombstone goes first, then the revision. After the restart the key holds the object whole or
// nothing, and no revision is left without a tombstone.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { CLI_TEST_TIMEOUT_MS, CRASH_STORES, expectCleanOutcome, inspect, restart, runUntilCrash, sha256, useCrashWorld } from './crash-harness.js';

const world = useCrashWorld('crash-delete', 'd');

describe.each(CRASH_STORES)('a crash while deleting (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  // delete.updated follows a lazy write a crash loses: recovery finds the change as of delete.removed.
  it.each(['delete.recorded', 'delete.removed', 'delete.updated', 'delete.cleaned'])('at %s', async (point) => {
    const url = world.destination(kind);
    const name = `doomed-${world.next()}`;
    const home = join(world.path, `home-${name}`);
    const source = join(world.path, name);
    const bytes = randomBytes(2 * MiB);
    writeFileSync(source, bytes);
    expect((await runCli(['upload', source, '--to', url], { home })).code).toBe(0);
    await runUntilCrash(['rm', name, '--from', url], home, point);
    await restart(home);
    expectCleanOutcome(await inspect(url, home, name), [sha256(bytes), null]);
  });
});
