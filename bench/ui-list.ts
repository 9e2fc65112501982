// The window with 10,000 transfers: how long from adding a folder of 10,000 files to the first row
// painted and to all of them listed, and frame times while the list is scrolled fast. Core's part
// (planning the files, until its first event reaches the page) is reported apart from the window's
// (from that event to the row painted), so neither hides the other.
// Run: npx tsx bench/ui-list.ts [count]   (targets: first paint under 500 ms, 60 fps)
// UI_BENCH_PROFILE=1 adds the page's hottest functions while scrolling.
// Functions passed to page.evaluate define no named inner functions: tsx would wrap them in a
// __name() helper that does not exist in the page.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost } from '../core/host/index.js';
import { ensureRendererBuilt, launchBrowser, openWindow } from '../test/support/browser.js';
import { tempDir } from '../test/support/files.js';
import { startS3TestServer } from '../test/support/s3-server/index.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const SCROLL_MS = 4_000; // long enough for a stable frame-time distribution
const SCROLL_STEP_PX = 240; // about four rows a frame: a fast flick of the wheel

process.env['AWS_ACCESS_KEY_ID'] = 'tierdrop-test';
process.env['AWS_SECRET_ACCESS_KEY'] = 'tierdrop-test-secret';

const work = tempDir('bench-ui');
const server = await startS3TestServer({ dataDir: join(work.path, 's3'), buckets: ['bucket'] });
server.setFaults({ latencyMs: 30_000 }); // keeps nearly everything queued while we measure
// UI_BENCH_RENDERER_DIR measures another build of the window (an older commit's, for a before/after).
const rendererDir = process.env['UI_BENCH_RENDERER_DIR'] ?? (await ensureRendererBuilt());
const host = await startHost({ home: join(work.path, 'home'), port: 0, rendererDir });
const browser = await launchBrowser();
try {
  const folder = join(work.path, 'many');
  mkdirSync(folder);
  for (let index = 0; index < COUNT; index += 1) writeFileSync(join(folder, `item-${String(index).padStart(5, '0')}.txt`), `${index}\n`);
  const destination = `s3://bucket/bench?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
  const { page } = await openWindow(browser, host.url);
  await page.getByRole('button', { name: 'Settings' }).waitFor();

  // Added from the page, timed with the page's clock: the request, core planning every file, the
  // events, the store and the first paint of the list.
  const added = await page.evaluate(
    async ({ folder, destination, count }) => {
      const token = sessionStorage.getItem('tierdrop.token') ?? '';
      // A second subscriber marks when core's first event about the new transfers reaches the page,
      // then closes: parsing 10,000 more events on the page's thread would be charged to the window.
      let firstEventMs = -1;
      const probe = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
      await new Promise((resolve) => probe.addEventListener('snapshot', resolve, { once: true }));
      probe.onmessage = () => {
        if (firstEventMs < 0) firstEventMs = performance.now() - started;
        probe.close();
      };
      const started = performance.now();
      const answer = fetch('/api/command/addFiles', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ paths: [folder], destination }),
      });
      let firstRowMs = -1;
      let answeredMs = -1;
      void answer.then(() => (answeredMs = performance.now() - started));
      for (;;) {
        await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        if (firstRowMs < 0 && document.querySelector('[data-transfer-id]')) firstRowMs = performance.now() - started;
        const all = document.querySelector('[role=radio]')?.textContent ?? '';
        if (all.replace(/\D/g, '') === String(count)) break;
      }
      const allListedMs = performance.now() - started;
      await answer;
      probe.close();
      return { firstRowMs, answeredMs, allListedMs, firstEventMs };
    },
    { folder, destination, count: COUNT },
  );

  const profiling = process.env['UI_BENCH_PROFILE'] === '1';
  // The page's main-thread time while scrolling (CPU time, and wall time of script, style, layout and
  // all tasks), from Chromium's own counters: on a shared, busy machine frame intervals also count
  // time the page was not even scheduled, while CPU time is the work the window itself asked for.
  const metricsSession = await page.context().newCDPSession(page);
  await metricsSession.send('Performance.enable');
  const mainThread = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await metricsSession.send('Performance.getMetrics')).metrics.map((metric) => [metric.name, metric.value]));
  const before = await mainThread();
  const cdp = profiling ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const frames = await page.evaluate(
    async ({ durationMs, stepPx }) => {
      const list = document.querySelector<HTMLElement>('[data-testid=transfer-list]');
      if (!list) throw new Error('no list');
      const deltas: number[] = [];
      let last = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
      const end = last + durationMs;
      let direction = 1;
      while (last < end) {
        if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) direction = -1;
        if (list.scrollTop <= 0) direction = 1;
        list.scrollTop += direction * stepPx;
        const now = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        deltas.push(now - last);
        last = now;
      }
      const sorted = [...deltas].sort((a, b) => a - b);
      const mean = deltas.reduce((sum, delta) => sum + delta, 0) / deltas.length;
      return {
        frames: deltas.length,
        meanMs: mean,
        p50Ms: sorted[Math.floor(sorted.length * 0.5)] ?? 0,
        p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
        maxMs: sorted[sorted.length - 1] ?? 0,
        fps: 1000 / mean,
        slowFrames: deltas.filter((delta) => delta > 1000 / 60 + 1).length,
        rowsInDom: document.querySelectorAll('[data-transfer-id]').length,
      };
    },
    { durationMs: SCROLL_MS, stepPx: SCROLL_STEP_PX },
  );

  const after = await mainThread();
  const workMs = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) * 1000;
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const selfMs = new Map<string, number>();
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples?.length ?? 1);
    for (const sample of profile.samples ?? []) {
      const frame = byId.get(sample)?.callFrame;
      const name = `${frame?.functionName || '(anonymous)'} ${frame?.url.split('/').pop() ?? ''}:${frame?.lineNumber ?? ''}`;
      selfMs.set(name, (selfMs.get(name) ?? 0) + interval);
    }
    for (const [name, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  profile ${Math.round(ms)} ms  ${name}`);
  }
  const round = (value: number) => Math.round(value * 10) / 10;
  console.log(`ui-list: ${COUNT.toLocaleString('en-US')} transfers`);
  const paintAfterEvent = Math.max(0, added.firstRowMs - added.firstEventMs);
  console.log(`  core: addFiles answered  ${round(added.answeredMs)} ms`);
  console.log(`  core: first event at page ${round(added.firstEventMs)} ms`);
  console.log(`  first row painted        ${round(added.firstRowMs)} ms after the drop`);
  console.log(`  window: first paint      ${round(paintAfterEvent)} ms after core's first event   (target < 500 ms)`);
  console.log(`  all ${COUNT} listed       ${round(added.allListedMs)} ms after the drop`);
  console.log(`  scrolling ${frames.frames} frames: mean ${round(frames.meanMs)} ms, p50 ${round(frames.p50Ms)} ms, p95 ${round(frames.p95Ms)} ms, max ${round(frames.maxMs)} ms`);
  const perFrame = (name: string) => round(workMs(name) / Math.max(1, frames.frames));
  console.log(`  main thread per frame: ${perFrame('ThreadTime')} ms of CPU; ${perFrame('TaskDuration')} ms of tasks (script ${perFrame('ScriptDuration')} ms, style ${perFrame('RecalcStyleDuration')} ms, layout ${perFrame('LayoutDuration')} ms)   (60 fps needs < 16.7 ms)`);
  console.log(`  ≈ ${round(frames.fps)} fps, ${frames.slowFrames} frames over 17.7 ms, ${frames.rowsInDom} rows in the DOM   (target 60 fps)`);
} finally {
  await browser.close();
  await server.close();
  await host.close();
  work.cleanup();
}
