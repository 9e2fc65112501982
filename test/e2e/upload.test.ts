// Dropping files and a folder on the window: three files through a drop event (one of 64 MiB) and a
// folder of 50 through the folder picker. All appear, progress only rises, all finish, and the
// objects in the store hash the same as what was dropped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, KiB } from '../../core/contract/index.js';
import type { RunningHost } from '../../core/host/index.js';
import { screenshot } from '../support/browser.js';
import { sha256OfFile, writeRandomFile } from '../support/files.js';
import { addDestination, chooseDestination, countOf, openApp, s3Url, sha256OfObject, startTestHost, startWorld, visibleProgress, type E2eWorld } from './harness.js';

const DROPPED = [
  { name: 'raw-footage.mov', sizeBytes: 64 * MiB },
  { name: 'cover.jpg', sizeBytes: 3 * MiB + 123 },
  { name: 'notes.txt', sizeBytes: 10 * KiB },
];
const FOLDER_FILES = 50;

let world: E2eWorld;
let host: RunningHost;

beforeAll(async () => {
  world = await startWorld('upload');
  host = await startTestHost(join(world.work.path, 'home'), { partSizeBytes: 8 * MiB, concurrency: 4 });
});

afterAll(async () => {
  await world?.dispose(() => host.close());
});

describe('dropping files and folders', () => {
  it('uploads three dropped files and a picked folder of 50, progress rising, bytes intact', async () => {
    const origin = new URL(host.url).origin;
    const destinationUrl = s3Url(world.server, 'bucket', 'drops');
    await addDestination(origin, host.token, 'Studio archive', destinationUrl);
    const { context, page } = await openApp(world, host.url);
    await chooseDestination(page, 'Studio archive');
    expect(page.url()).not.toContain('token'); // the token left the address bar
    await page.getByRole('heading', { name: 'Drop files or folders anywhere' }).waitFor();
    await screenshot(page, '01-empty');

    // The folder on disk, for the webkitdirectory input.
    const album = join(world.work.path, 'album');
    mkdirSync(album);
    const folderHashes = new Map<string, string>();
    for (let index = 1; index <= FOLDER_FILES; index += 1) {
      const name = `photo-${String(index).padStart(2, '0')}.jpg`;
      writeRandomFile(join(album, name), 7 * KiB + index * 3 * KiB);
      folderHashes.set(`album/${name}`, await sha256OfFile(join(album, name)));
    }

    // Slow the store so progress can be watched.
    world.server.setFaults({ throttleBytesPerSec: 24 * MiB });

    // Files made in the page (a drop cannot come from disk in a headless browser), hashed there.
    const droppedHashes = await page.evaluate(async (files) => {
      const made: File[] = [];
      const hashes: Record<string, string> = {};
      let seed = 0x2545f491;
      for (const { name, sizeBytes } of files) {
        const bytes = new Uint8Array(sizeBytes);
        for (let offset = 0; offset < sizeBytes; offset += 1) {
          seed ^= seed << 13;
          seed ^= seed >>> 17;
          seed ^= seed << 5;
          bytes[offset] = seed & 0xff;
        }
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        hashes[name] = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
        made.push(new File([bytes], name, { type: 'application/octet-stream' }));
      }
      const transfer = new DataTransfer();
      for (const file of made) transfer.items.add(file);
      (window as unknown as { testDrop: DataTransfer }).testDrop = transfer;
      window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      return hashes;
    }, DROPPED);
    await page.getByText('Drop to upload to Studio archive').waitFor();
    await screenshot(page, '02-drop-overlay');
    await page.evaluate(() => {
      const transfer = (window as unknown as { testDrop: DataTransfer }).testDrop;
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    // The folder second, once the dropped files are listed, so the large file stays in view at the top.
    await page.getByRole('listitem', { name: /^raw-footage\.mov, / }).waitFor();
    await page.locator('#add-folder-input').setInputFiles(album);

    // Watch progress until everything is done: every row's percent only rises.
    const seen = new Map<string, number[]>();
    let screenshotTaken = false;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const progress = await visibleProgress(page);
      for (const [id, { percent }] of Object.entries(progress)) {
        const series = seen.get(id) ?? [];
        series.push(percent);
        seen.set(id, series);
      }
      const big = Object.values(progress).find((entry) => entry.state === 'uploading' && entry.percent >= 30);
      if (!screenshotTaken && big) {
        await screenshot(page, '03-uploading');
        screenshotTaken = true;
      }
      if ((await countOf(page, 'done')) === DROPPED.length + FOLDER_FILES) break;
      if (Date.now() > deadline) throw new Error('uploads did not finish in 120 s');
      await page.waitForTimeout(100);
    }
    world.server.setFaults({});

    expect(seen.size).toBeGreaterThanOrEqual(DROPPED.length);
    for (const [id, series] of seen) {
      for (let index = 1; index < series.length; index += 1) {
        expect(series[index], `progress of ${id}: ${series.join(',')}`).toBeGreaterThanOrEqual(series[index - 1] ?? 0);
      }
    }
    // The large file was seen part way, not only at 0 and 100.
    expect([...seen.values()].some((series) => series.some((percent) => percent > 0 && percent < 100))).toBe(true);

    // All 53 rows are there: three files on their own and one folder group of 50.
    expect(await page.getByRole('listitem', { name: /^Folder album, 50 of 50 files done/ }).count()).toBe(1);
    for (const { name } of DROPPED) expect(await page.getByRole('listitem', { name: `${name}, Done, 100%`, exact: true }).count(), name).toBe(1);
    await screenshot(page, '04-done');
    // The same window in the dark theme the OS asks for.
    const dark = await openApp(world, host.url, { colorScheme: 'dark' });
    await chooseDestination(dark.page, 'Studio archive');
    await dark.page.getByRole('listitem', { name: /^Folder album/ }).waitFor();
    await screenshot(dark.page, '04-done-dark');
    await dark.context.close();

    for (const { name } of DROPPED) expect(await sha256OfObject(destinationUrl, name), name).toBe(droppedHashes[name]);
    for (const [key, hash] of folderHashes) expect(await sha256OfObject(destinationUrl, key), key).toBe(hash);

    // History: the Done filter lists them; Clear finished empties it (objects stay in the store).
    await page.getByRole('radio', { name: /^Done/ }).click();
    await page.getByRole('listitem', { name: /^Folder album/ }).getByRole('button', { name: 'Collapse folder album' }).click();
    await screenshot(page, '05-history');
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await page.getByRole('heading', { name: 'Drop files or folders anywhere' }).waitFor();
    expect(await sha256OfObject(destinationUrl, 'notes.txt')).toBe(droppedHashes['notes.txt']);
    await context.close();
  }, 180_000);
});
