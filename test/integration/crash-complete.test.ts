// A crash (SIGKILL of the real CLI) at every phase boundary of a multipart upload through the
// tiers: after initiate records its change, before and after LT assembles the parts, around the
// tombstone's compare-and-write and the cleanup. The restart must leave the old object or the new
// one, whole, no unreferenced revision and no open multipart upload.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { runCli } from '../support/cli.js';
import { CLI_TEST_TIMEOUT_MS, CRASH_STORES, expectCleanOutcome, inspect, restart, runUntilCrash, sha256, useCrashWorld } from './crash-harness.js';

const world = useCrashWorld('crash-complete', 'm');

describe.each(CRASH_STORES)('a crash during a multipart upload (%s)', { timeout: CLI_TEST_TIMEOUT_MS }, (kind) => {
  it.each([
    'initiate.recorded',
    'complete.assembling',
    'complete.assembled',
    'complete.written',
    'complete.cas',
    'complete.updated',
    'complete.cleaned',
  ])('at %s', async (point) => {
    const url = world.destination(kind);
    const serial = world.next();
    const home = join(world.path, `home-${serial}`);
    const source = join(world.path, `big-${serial}`);
    const before = randomBytes(6 * MiB);
    const after = randomBytes(11 * MiB);
    const upload = ['upload', source, '--to', url, '--part-size', '5MiB'];
    writeFileSync(source, before);
    expect((await runCli(upload, { home })).code).toBe(0);
    writeFileSync(source, after);
    await runUntilCrash(upload, home, point);
    await restart(home);
    expectCleanOutcome(await inspect(url, home, `big-${serial}`), [sha256(before), sha256(after)]);
  });
});
