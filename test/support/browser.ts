// Chromium for the end-to-end tests, and the built window they load. The browser is the system's
// (CHROMIUM_PATH, then /usr/bin/chromium) or else Playwright's own; the renderer is rebuilt into
// dist/renderer/ when its sources are newer than the build, once, whichever test file asks first.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = join(REPO_ROOT, 'dist', 'renderer');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

/** For a sandboxed CI machine: no GPU, no network chatter, no first-run UI. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const BUILD_LOCK_STALE_MS = 120_000; // a lock older than any build is left over from a killed run

export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  return undefined; // Playwright's own download, if there is one
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumExecutable();
  return chromium.launch({ ...(executablePath === undefined ? {} : { executablePath }), args: CHROMIUM_ARGS, headless: true });
}

export interface WindowOptions {
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
}

/** A fresh browser context (its own sessionStorage) and page, sized like a desktop window. */
export async function openWindow(browser: Browser, url: string, options: WindowOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const page = await context.newPage();
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`));
  await page.goto(url);
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Builds the renderer into dist/renderer/ unless the build there is newer than every source. */
export async function ensureRendererBuilt(): Promise<string> {
  const lock = join(REPO_ROOT, 'dist', '.renderer-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  await acquire(lock);
  try {
    if (!isBuildFresh()) await buildRenderer();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return RENDERER_DIR;
}

/** `vite build` in a child process: inside vitest NODE_ENV is "test", which would bundle React's development build. */
async function buildRenderer(): Promise<void> {
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (errors += text));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`vite build failed (${code}): ${errors}`);
}

function isBuildFresh(): boolean {
  const index = join(RENDERER_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const builtAt = statSync(index).mtimeMs;
  const sources = [join(REPO_ROOT, 'renderer'), join(REPO_ROOT, 'core', 'contract'), join(REPO_ROOT, 'vite.config.ts')];
  return sources.every((source) => newestMtime(source) <= builtAt);
}

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

async function acquire(lock: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > BUILD_LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // it went away between the two calls: try again
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
