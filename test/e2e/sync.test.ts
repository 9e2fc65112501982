// The Sync panel end to end: a folder typed into the panel becomes a sync root that reaches
// "watching"; new and changed files land in the store (a local folder) with the same bytes while
// the panel's pending count and last-synced time follow; Pause stops uploads, Resume catches up,
// Remove forgets the root and leaves the store as it was.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncRootView } from '../../core/contract/index.js';
import type { RunningHost } from '../../core/host/index.js';
import { screenshot } from '../support/browser.js';
import { sha256OfFile } from '../support/files.js';
import { eventually } from '../integration/sync-support.js';
import { addDestination, chooseDestination, command, openApp, sha256OfObject, startTestHost, startWorld, type E2eWorld } from './harness.js';

const QUIET_MS = 2_500; // longer than the watcher's settle time (1 s) plus an upload of a small file

let world: E2eWorld;
let host: RunningHost;
let origin: string;

beforeAll(async () => {
  world = await startWorld('sync');
  host = await startTestHost(join(world.work.path, 'home'));
  origin = new URL(host.url).origin;
});

afterAll(async () => {
  await world?.dispose(() => host.close());
});

async function expectInStore(destinationUrl: string, folder: string, key: string): Promise<void> {
  const local = await sha256OfFile(join(folder, ...key.split('/')));
  await eventually(async () => expect(await sha256OfObject(destinationUrl, key), key).toBe(local), 20_000);
}

async function expectNotInStore(destinationUrl: string, key: string): Promise<void> {
  await expect(sha256OfObject(destinationUrl, key)).rejects.toThrow(/is not in/);
}

/** The `datetime` of the root's last-synced time, as a number (0 before the first sync). */
async function lastSyncedAt(page: Page): Promise<number> {
  const value = await page.getByTestId('sync-last').getAttribute('datetime');
  return value === null ? 0 : Date.parse(value);
}

describe('the Sync panel', () => {
  it('adds a folder, follows its changes into the store, pauses, resumes and removes it', async () => {
    const folder = join(world.work.path, 'Projects');
    mkdirSync(join(folder, 'notes'), { recursive: true });
    writeFileSync(join(folder, 'readme.md'), '# Projects\n');
    writeFileSync(join(folder, 'notes', 'plan.txt'), 'first draft\n');
    const destinationUrl = `${pathToFileURL(join(world.work.path, 'store')).href}?mode=direct`;
    await addDestination(origin, host.token, 'Local archive', destinationUrl);

    const { context, page } = await openApp(world, host.url);
    await chooseDestination(page, 'Local archive');

    // Opened from the top bar with the keyboard; Escape closes it and gives focus back.
    const syncButton = page.getByRole('button', { name: /^Sync folders/ });
    await syncButton.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog', { name: 'Synced folders' });
    await panel.waitFor();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await syncButton.evaluate((button) => button === document.activeElement)).toBe(true);
    await syncButton.click();

    // A folder that is not there is refused with a message that says so.
    const path = panel.getByLabel('Folder', { exact: true });
    await path.fill(join(world.work.path, 'no-such-folder'));
    await panel.getByRole('button', { name: 'Keep synced' }).click();
    await page.getByRole('alert').filter({ hasText: /no-such-folder/ }).first().waitFor();
    expect(await panel.getByRole('listitem').count()).toBe(0);

    await path.fill(folder);
    await expect.poll(() => panel.getByLabel('Upload to').inputValue()).not.toBe('');
    await screenshot(page, 'sync-01-add');
    await panel.getByRole('button', { name: 'Keep synced' }).click();

    const root = panel.locator('[data-sync-root-id]');
    await root.waitFor();
    await eventually(async () => expect(await root.getAttribute('data-state')).toBe('watching'));
    await expectInStore(destinationUrl, folder, 'readme.md');
    await expectInStore(destinationUrl, folder, 'notes/plan.txt');
    await eventually(async () => expect(await panel.getByTestId('sync-pending').textContent()).toBe('Up to date'));
    await eventually(async () => expect(await panel.getByTestId('sync-last').textContent()).toMatch(/^Last synced/));
    const firstSync = await lastSyncedAt(page);
    expect(await panel.getByRole('listitem', { name: 'Projects, Watching, Up to date' }).count()).toBe(1);

    // A new file and a changed one arrive by themselves; the panel says when.
    writeFileSync(join(folder, 'notes', 'ideas.txt'), 'sync roots for everyone\n');
    appendFileSync(join(folder, 'readme.md'), 'Kept in sync by Tierdrop.\n');
    await expectInStore(destinationUrl, folder, 'notes/ideas.txt');
    await expectInStore(destinationUrl, folder, 'readme.md');
    await eventually(async () => expect(await lastSyncedAt(page)).toBeGreaterThan(firstSync));
    await eventually(async () => expect(await panel.getByTestId('sync-pending').textContent()).toBe('Up to date'));
    await screenshot(page, 'sync-02-watching');
    // Closed, the top bar's button counts the synced folders.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Sync folders, 1 synced' }).waitFor();
    await screenshot(page, 'sync-02-top-bar');
    await page.getByRole('button', { name: 'Sync folders, 1 synced' }).click();

    // Paused: nothing goes up. Resumed: the root rescans and catches up.
    await panel.getByRole('button', { name: 'Pause syncing Projects' }).click();
    await eventually(async () => expect(await root.getAttribute('data-state')).toBe('paused'));
    writeFileSync(join(folder, 'while-paused.txt'), 'written during the pause\n');
    await page.waitForTimeout(QUIET_MS);
    await expectNotInStore(destinationUrl, 'while-paused.txt');
    await screenshot(page, 'sync-03-paused');
    await panel.getByRole('button', { name: 'Resume syncing Projects' }).click();
    await eventually(async () => expect(await root.getAttribute('data-state')).toBe('watching'));
    await expectInStore(destinationUrl, folder, 'while-paused.txt');

    // Removed: asked first, then gone from the panel and from core; the store keeps its files.
    await panel.getByRole('button', { name: 'Remove Projects' }).click();
    await panel.getByRole('button', { name: 'Stop syncing' }).click();
    await root.waitFor({ state: 'detached' });
    expect(await command<SyncRootView[]>(origin, host.token, 'listSyncRoots', {})).toEqual([]);
    await page.getByText('Stopped syncing Projects').waitFor();
    writeFileSync(join(folder, 'after-removal.txt'), 'not synced any more\n');
    await page.waitForTimeout(QUIET_MS);
    await expectNotInStore(destinationUrl, 'after-removal.txt');
    await expectInStore(destinationUrl, folder, 'notes/ideas.txt');
    await context.close();
  }, 120_000);
});
