// What every end-to-end test needs: an S3 test server, the loopback host (in this process, or as a
// real `tierdrop serve` child that can be killed), Chromium on the window, and ways to check bytes.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { joinKey } from '../../core/backends/index.js';
import { openDestination } from '../../core/tiered/index.js';
import type { Destination, SettingsPatch } from '../../core/contract/index.js';
import { startHost, type RunningHost } from '../../core/host/index.js';
import { startCli, type CliRun } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { FAST_RETRIES, useTestCredentials, waitFor } from '../support/service.js';
import { ensureRendererBuilt, launchBrowser, openWindow, type WindowOptions } from '../support/browser.js';

export function s3Url(server: S3TestServer, bucket: string, prefix: string): string {
  return `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
}

export interface E2eWorld {
  work: ReturnType<typeof tempDir>;
  server: S3TestServer;
  browser: Browser;
  /** Closes the browser, then the store, then `closeHost` (so a host never waits on a store that hangs), then removes files. */
  dispose(closeHost?: () => Promise<void>): Promise<void>;
}

export async function startWorld(label: string): Promise<E2eWorld> {
  useTestCredentials();
  const work = tempDir(`e2e-${label}`);
  const [server, browser] = await Promise.all([
    startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] }),
    launchBrowser(),
    ensureRendererBuilt(),
  ]);
  return {
    work,
    server,
    browser,
    dispose: async (closeHost) => {
      await browser.close();
      await server.close();
      await closeHost?.();
      work.cleanup();
    },
  };
}

/** An in-process host on a home folder, with retry timings short enough for tests. */
export async function startTestHost(home: string, overrides: SettingsPatch = {}): Promise<RunningHost> {
  return startHost({ home, port: 0, rendererDir: await ensureRendererBuilt(), overrides: { ...FAST_RETRIES, ...overrides } });
}

/** A real `tierdrop serve` process, for tests that kill it. */
export async function startHostProcess(home: string): Promise<{ run: CliRun; url: string; token: string; origin: string }> {
  const run = startCli(['serve', '--no-open'], { home });
  let url: string | null = null;
  await waitFor(
    () => {
      const match = /Tierdrop is ready at (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(run.stdout());
      if (match?.[1] !== undefined) url = match[1];
      if (run.child.exitCode !== null) throw new Error(`tierdrop serve exited: ${run.stderr()}`);
      return url !== null;
    },
    30_000,
    'tierdrop serve to print its address',
  );
  const ready = url as string | null;
  if (ready === null) throw new Error('no address');
  const parsed = new URL(ready);
  return { run, url: ready, token: parsed.hash.replace('#token=', ''), origin: parsed.origin };
}

/** Calls a command the way the window does, for setting a test up without clicking through it. */
export async function command<T>(origin: string, token: string, name: string, input: unknown): Promise<T> {
  const response = await fetch(`${origin}/api/command/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const answer = (await response.json()) as { ok: true; value: T } | { ok: false; error: { message: string } };
  if (!answer.ok) throw new Error(`${name} failed: ${answer.error.message}`);
  return answer.value;
}

export async function addDestination(origin: string, token: string, name: string, url: string): Promise<Destination> {
  return command<Destination>(origin, token, 'addDestination', { name, url });
}

export async function openApp(world: E2eWorld, url: string, options?: WindowOptions): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await openWindow(world.browser, url, options);
  await opened.page.getByRole('button', { name: 'Settings' }).waitFor();
  return opened;
}

/** Picks the destination by name in the top bar's picker. */
export async function chooseDestination(page: Page, name: string): Promise<void> {
  const picker = page.getByLabel('Destination');
  const value = await picker.evaluate((select, wanted) => {
    const options = Array.from((select as HTMLSelectElement).options);
    return options.find((option) => option.text.startsWith(`${wanted} — `))?.value ?? null;
  }, name);
  if (value === null) throw new Error(`no destination named ${name}`);
  await picker.selectOption(value);
}

/** Reads an object back the way `tierdrop get` does (tiered destinations keep a tombstone at the key). */
export async function sha256OfObject(destinationUrl: string, relativeKey: string): Promise<string> {
  const store = openDestination(destinationUrl); // read-only: a tombstone resolves to its revision
  try {
    const object = await store.backend.get(joinKey(store.prefix, relativeKey));
    if (object === null) throw new Error(`${relativeKey} is not in ${destinationUrl}`);
    const hash = createHash('sha256');
    for await (const chunk of object.body) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await store.backend.dispose();
  }
}

/** The progress of every transfer row in view, by transfer id. */
export function visibleProgress(page: Page): Promise<Record<string, { percent: number; state: string }>> {
  return page.evaluate(() => {
    const seen: Record<string, { percent: number; state: string }> = {};
    for (const row of Array.from(document.querySelectorAll<HTMLElement>('[data-transfer-id]'))) {
      const bar = row.querySelector('[role=progressbar]');
      seen[row.dataset['transferId'] ?? ''] = { percent: Number(bar?.getAttribute('aria-valuenow') ?? 'NaN'), state: row.dataset['state'] ?? '' };
    }
    return seen;
  });
}

export async function countOf(page: Page, label: 'uploading' | 'queued' | 'paused' | 'done' | 'failed'): Promise<number> {
  const text = await page.getByTestId(`count-${label}`).locator('strong').textContent();
  return Number((text ?? '').replace(/,/g, ''));
}
