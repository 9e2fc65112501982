// Pausing and resuming from the window, and a wrong destination: the store receives nothing for a
// paused upload and the rest after Resume; a missing bucket shows what failed and what to do, and
// Retry after fixing it finishes the upload. Credentials entered in Settings reach the host, not the window.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import type { RunningHost } from '../../core/host/index.js';
import { screenshot } from '../support/browser.js';
import { sha256OfFile, writeRandomFile } from '../support/files.js';
import { DEFAULT_CREDENTIALS } from '../support/s3-server/index.js';
import { waitFor } from '../support/service.js';
import { addDestination, chooseDestination, command, openApp, s3Url, sha256OfObject, startTestHost, startWorld, visibleProgress, type E2eWorld } from './harness.js';

const PART_BYTES = 5 * MiB;
const CONCURRENCY = 2;

let world: E2eWorld;
let host: RunningHost;
let origin: string;

beforeAll(async () => {
  world = await startWorld('controls');
  host = await startTestHost(join(world.work.path, 'home'), { partSizeBytes: PART_BYTES, concurrency: CONCURRENCY });
  origin = new URL(host.url).origin;
});

afterAll(async () => {
  await world?.dispose(() => host.close());
});

describe('pause and resume', () => {
  it('sends no part while paused and finishes after Resume', async () => {
    const destinationUrl = s3Url(world.server, 'bucket', 'paused');
    await addDestination(origin, host.token, 'Slow bucket', destinationUrl);
    const source = join(world.work.path, 'interview.wav');
    writeRandomFile(source, 40 * MiB);
    const { context, page } = await openApp(world, host.url);
    await chooseDestination(page, 'Slow bucket');
    world.server.setFaults({ throttleBytesPerSec: 6 * MiB });

    await page.locator('#add-files-input').setInputFiles(source);
    const row = page.getByRole('listitem', { name: /^interview\.wav, / });
    await pollUntil(async () => Object.values(await visibleProgress(page)).some((entry) => entry.percent >= 15), 60_000, 'a quarter of the upload');

    await row.getByRole('button', { name: 'Pause interview.wav' }).click();
    await pollUntil(async () => (await row.getAttribute('data-state')) === 'paused', 15_000, 'the row to show Paused');
    await waitFor(() => world.server.stats().inFlightParts === 0, 15_000, 'in-flight parts to stop');
    const atPause = world.server.stats();
    await page.waitForTimeout(2_500);
    const later = world.server.stats();
    expect(later.partBytesReceived).toBe(atPause.partBytesReceived);
    expect(later.requests['UploadPart'] ?? 0).toBe(atPause.requests['UploadPart'] ?? 0);
    expect(await row.getByTestId('state-chip').textContent()).toBe('Paused');

    // Resume through the selection bar, the way a person resumes several at once.
    await row.getByRole('checkbox', { name: 'Select interview.wav' }).check();
    await screenshot(page, '06-paused-selected');
    world.server.setFaults({});
    await page.getByRole('toolbar', { name: 'Selected transfers' }).getByRole('button', { name: /^Resume/ }).click();
    await pollUntil(async () => (await row.getAttribute('data-state')) === 'done', 60_000, 'the upload to finish');

    // Only what had not been stored was sent after Resume.
    const missing = 40 * MiB - atPause.partBytesStored;
    const sentAfter = world.server.stats().partBytesReceived - atPause.partBytesReceived;
    expect(sentAfter).toBeLessThanOrEqual(missing + CONCURRENCY * PART_BYTES);
    expect(await sha256OfObject(destinationUrl, 'interview.wav')).toBe(await sha256OfFile(source));
    await context.close();
  }, 120_000);
});

describe('a wrong destination', () => {
  it('shows what failed and how to fix it; Retry after fixing finishes', async () => {
    const brokenUrl = s3Url(world.server, 'not-created-yet', 'in');
    const source = join(world.work.path, 'report.pdf');
    writeRandomFile(source, 6 * MiB);
    const { context, page } = await openApp(world, host.url);

    // Added through Settings, and tested there: the test names the problem.
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('button', { name: 'Add destination' }).click();
    await dialog.getByLabel('Name').fill('Client delivery');
    await dialog.getByLabel('URL').fill(brokenUrl);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    const item = dialog.locator('[data-destination="Client delivery"]');

    // Its keys are entered in password fields, go to the host, and only "entered" comes back.
    await item.getByRole('button', { name: 'Enter credentials for Client delivery' }).click();
    const form = item.getByRole('form', { name: 'Credentials for Client delivery' });
    await form.getByLabel('Access key ID').fill(DEFAULT_CREDENTIALS.accessKeyId);
    await form.getByLabel('Secret access key').fill(DEFAULT_CREDENTIALS.secretAccessKey);
    expect(await form.getByLabel('Secret access key').getAttribute('type')).toBe('password');
    await form.getByRole('button', { name: 'Save credentials' }).click();
    await item.getByText(/Credentials entered/).waitFor();
    const statuses = await command<Array<{ destinationId: string; set: boolean }>>(origin, host.token, 'listCredentials', {});
    expect(statuses.filter((status) => status.set)).toHaveLength(1);
    expect(JSON.stringify(statuses)).not.toContain(DEFAULT_CREDENTIALS.secretAccessKey);

    await item.getByRole('button', { name: 'Test connection' }).click();
    const outcome = item.getByRole('alert');
    await outcome.waitFor();
    expect(await outcome.textContent()).toMatch(/not-created-yet|bucket/i);
    await screenshot(page, '07-settings-test-failed');

    // Saving transfer settings changes them and keeps every destination.
    await dialog.getByLabel('Parallel parts').fill('3');
    await dialog.getByRole('button', { name: 'Save transfer settings' }).click();
    await dialog.getByText('Saved', { exact: true }).waitFor();
    const saved = await command<{ concurrency: number; destinations: Array<{ name: string }> }>(origin, host.token, 'getSettings', {});
    expect(saved.concurrency).toBe(3);
    expect(saved.destinations.map((destination) => destination.name)).toEqual(expect.arrayContaining(['Slow bucket', 'Client delivery']));
    await dialog.getByRole('button', { name: 'Close settings' }).click();

    await chooseDestination(page, 'Client delivery');
    await page.locator('#add-files-input').setInputFiles(source);
    const row = page.getByRole('listitem', { name: /^report\.pdf, / });
    await pollUntil(async () => (await row.getAttribute('data-state')) === 'failed', 60_000, 'the upload to fail');
    const reason = await row.getByRole('note').textContent();
    expect(reason).toMatch(/bucket not-created-yet does not exist at .*: create it there, or fix the bucket name/);
    await page.getByRole('radio', { name: /^Failed/ }).click();
    await screenshot(page, '08-failed');

    await world.server.createBucket('not-created-yet');
    await row.getByRole('button', { name: 'Retry report.pdf' }).click();
    await page.getByRole('radio', { name: /^All/ }).click();
    await pollUntil(async () => (await page.getByRole('listitem', { name: /^report\.pdf, / }).getAttribute('data-state')) === 'done', 60_000, 'the retried upload to finish');
    expect(await sha256OfObject(brokenUrl, 'report.pdf')).toBe(await sha256OfFile(source));
    await context.close();
  }, 120_000);
});

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
