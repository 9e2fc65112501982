// `npm start` where the Electron runtime is missing (as on this CI machine): one plain line, then
// the same window served by the loopback host; SIGTERM ends it cleanly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronRuntime } from '../../core/cli/electron-runtime.js';
import { DEFAULT_RENDERER_DIR } from '../../core/host/index.js';
import { startCli } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { waitFor } from '../support/service.js';

const FALLBACK = /^The Electron runtime is not installed here, so Tierdrop opens in your browser instead: (http:\/\/127\.0\.0\.1:\d+)\/#token=[A-Za-z0-9_-]{43}\n$/;
const runtimePresent = findElectronRuntime().found;
const rendererBuilt = existsSync(join(DEFAULT_RENDERER_DIR, 'index.html'));

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir('app');
});
afterAll(() => work.cleanup());

describe('npm start without the Electron runtime', () => {
  // With the runtime present `app` opens a window instead; without a built window it would run a
  // vite build first, which the renderer's own tests cover.
  it.skipIf(runtimePresent || !rendererBuilt)('says so in one line and serves the window in a browser instead', async () => {
    const run = startCli(['app', '--no-open'], { home: join(work.path, 'home') });
    try {
      await waitFor(() => run.stdout().includes('\n') || run.child.exitCode !== null, 30_000, 'the one line');
      const match = FALLBACK.exec(run.stdout());
      expect(match, run.stdout() + run.stderr()).not.toBeNull();
      const page = await fetch(`${match?.[1] ?? ''}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    } finally {
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    }
    expect(run.stdout().split('\n').filter((line) => line !== '')).toHaveLength(1);
  });
});
