// The host process is killed with SIGKILL in the middle of a large upload from the window. Started
// again and reloaded, the window says what was resumed, and the upload completes without the store
// receiving again the parts it had acknowledged.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { screenshot } from '../support/browser.js';
import { sha256OfFile, writeRandomFile } from '../support/files.js';
import { waitFor } from '../support/service.js';
import { addDestination, chooseDestination, command, openApp, s3Url, sha256OfObject, startHostProcess, startWorld, visibleProgress, type E2eWorld } from './harness.js';

const SIZE_BYTES = 96 * MiB;
const PART_BYTES = 8 * MiB;
const CONCURRENCY = 3;

let world: E2eWorld;
const hosts: Array<Awaited<ReturnType<typeof startHostProcess>>> = [];

beforeAll(async () => {
  world = await startWorld('crash');
});

afterAll(async () => {
  for (const host of hosts) {
    if (host.run.child.exitCode === null && host.run.child.signalCode === null) {
      host.run.child.kill('SIGTERM');
      await host.run.exited;
    }
  }
  await world?.dispose();
});

describe('a crash of the host', () => {
  it('resumes after SIGKILL and a reload, without re-sending acknowledged parts', async () => {
    const home = join(world.work.path, 'home');
    const first = await startHostProcess(home);
    hosts.push(first);
    await command(first.origin, first.token, 'setSettings', { partSizeBytes: PART_BYTES, concurrency: CONCURRENCY, retryBaseDelayMs: 50, retryMaxDelayMs: 500 });
    const destinationUrl = s3Url(world.server, 'bucket', 'crash');
    await addDestination(first.origin, first.token, 'Render farm', destinationUrl);
    const source = join(world.work.path, 'final-cut.mov');
    writeRandomFile(source, SIZE_BYTES);

    const { context, page } = await openApp(world, first.url);
    await chooseDestination(page, 'Render farm');
    world.server.setFaults({ throttleBytesPerSec: 16 * MiB });
    world.server.resetStats();
    await page.locator('#add-files-input').setInputFiles(source);
    await pollUntil(async () => Object.values(await visibleProgress(page)).some((entry) => entry.percent >= 35), 60_000, 'a third of the upload');

    first.run.child.kill('SIGKILL');
    expect((await first.run.exited).signal).toBe('SIGKILL');
    await page.getByText('Lost the connection to Tierdrop. Reconnecting…').waitFor();
    await screenshot(page, '09-connection-lost');
    await waitFor(() => world.server.stats().inFlightParts === 0, 15_000, 'in-flight parts to drop');
    const atKill = world.server.stats();
    const missingBytes = SIZE_BYTES - atKill.partBytesStored;
    expect(atKill.partBytesStored).toBeGreaterThan(0);
    expect(missingBytes).toBeGreaterThan(0);

    // Started again: a new token, so the page is opened at the new address (a reload, as a person would).
    world.server.setFaults({ throttleBytesPerSec: 32 * MiB });
    const second = await startHostProcess(home);
    hosts.push(second);
    await page.goto(second.url);
    const notice = page.getByRole('status').filter({ hasText: /resum/i });
    await notice.first().waitFor({ timeout: 15_000 });
    const row = page.getByRole('listitem', { name: /^final-cut\.mov, / });
    await row.waitFor();
    await screenshot(page, '10-resumed');
    await pollUntil(async () => (await row.getAttribute('data-state')) === 'done', 90_000, 'the resumed upload to finish');

    const receivedAfterKill = world.server.stats().partBytesReceived - atKill.partBytesReceived;
    expect(receivedAfterKill).toBeGreaterThanOrEqual(missingBytes);
    expect(receivedAfterKill).toBeLessThanOrEqual(missingBytes + CONCURRENCY * PART_BYTES);
    expect(await sha256OfObject(destinationUrl, 'final-cut.mov')).toBe(await sha256OfFile(source));
    world.server.setFaults({});
    await context.close();
  }, 180_000);
});

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
