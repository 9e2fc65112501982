// Ten thousand queued transfers: the list renders them (only the rows in view are in the page),
// scrolls to the last one, and selects all of them. Timings live in bench/ui-list.ts, not here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../core/host/index.js';
import { screenshot } from '../support/browser.js';
import { addDestination, chooseDestination, command, openApp, s3Url, startTestHost, startWorld, type E2eWorld } from './harness.js';

const COUNT = 10_000;

let world: E2eWorld;
let host: RunningHost;

beforeAll(async () => {
  world = await startWorld('many');
  host = await startTestHost(join(world.work.path, 'home'), { filesInFlight: 2 });
});

afterAll(async () => {
  await world?.dispose(() => host.close());
}, 120_000);

describe('ten thousand transfers', () => {
  it('renders, scrolls and selects a queue of 10,000', async () => {
    const folder = join(world.work.path, 'sensor-logs');
    mkdirSync(folder);
    for (let index = 0; index < COUNT; index += 1) writeFileSync(join(folder, `log-${String(index).padStart(5, '0')}.csv`), `${index}\n`);
    // A store that takes 20 s to answer keeps nearly everything queued while the list is checked.
    world.server.setFaults({ latencyMs: 20_000 });
    const origin = new URL(host.url).origin;
    const destinationUrl = s3Url(world.server, 'bucket', 'logs');
    await addDestination(origin, host.token, 'Telemetry', destinationUrl);
    const { context, page } = await openApp(world, host.url);
    await chooseDestination(page, 'Telemetry');

    await command(origin, host.token, 'addFiles', { paths: [folder], destination: destinationUrl });
    await page.getByRole('radio', { name: `All ${COUNT.toLocaleString('en-US')}` }).waitFor({ timeout: 60_000 });
    await page.getByRole('listitem', { name: /^log-00000\.csv, / }).waitFor();
    expect(await page.locator('[data-transfer-id]').count()).toBeLessThan(60); // virtualized
    await screenshot(page, '11-ten-thousand');

    // Keyboard: focus the first row, End goes to the last one.
    await page.getByRole('listitem', { name: /^Folder sensor-logs/ }).click();
    await page.keyboard.press('End');
    await page.getByRole('listitem', { name: /^log-09999\.csv, / }).waitFor();
    await page.keyboard.press('Home');
    await page.getByRole('listitem', { name: /^log-00000\.csv, / }).waitFor();

    // Scrolling by wheel reaches the middle and keeps rows rendered.
    const list = page.getByTestId('transfer-list');
    await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight / 2 }));
    await page.waitForTimeout(100);
    expect(await page.locator('[data-transfer-id]').count()).toBeGreaterThan(5);

    // Ctrl+A selects all ten thousand.
    await page.getByRole('listitem', { name: /^log-0/ }).first().focus();
    await page.keyboard.press('Control+a');
    await page.getByRole('toolbar', { name: 'Selected transfers' }).getByText(`${COUNT.toLocaleString('en-US')} selected`).waitFor();
    await context.close();
    world.server.setFaults({});
  }, 180_000);
});
