// Crash and resume against the local-folder store: SIGKILL half way (the client's own bandwidth
// limit makes "half way" last), then `tierdrop resume` continues from the acknowledged parts.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { settingsPath } from '../../core/service/index.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRandomFile } from '../support/files.js';
import { expectSameBytes, killHalfWay, readInterruptedUpload } from './crash-harness.js';

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir('crash-fs');
});
afterAll(() => work.cleanup());

describe('crash and resume on a local folder', () => {
  it('resumes after SIGKILL from the parts the journal holds, and stores the exact bytes', async () => {
    const source = join(work.path, 'video.bin');
    writeRandomFile(source, 64 * MiB);
    const home = join(work.path, 'home');
    mkdirSync(home);
    writeFileSync(settingsPath(home), JSON.stringify({ bandwidthLimitBytesPerSec: 32 * MiB }));
    const url = `file://${join(work.path, 'store')}?mode=direct`;

    await killHalfWay(['upload', source, '--to', url, '--part-size', '8MiB', '--concurrency', '2', '--json'], home, 60_000);
    const ackedAtKill = readInterruptedUpload(home).bytesDone;
    expect(ackedAtKill).toBeGreaterThan(0);

    writeFileSync(settingsPath(home), JSON.stringify({ bandwidthLimitBytesPerSec: 0 }));
    const resumed = await runCli(['resume', '--json'], { home });
    expect(resumed.code).toBe(0);
    // The resumed upload starts from what was acknowledged before the kill, not from zero.
    const firstView = resumed.events.find((event) => event['type'] === 'transfer.updated')?.['transfer'] as { bytesDone: number } | undefined;
    expect(firstView?.bytesDone).toBe(ackedAtKill);

    await expectSameBytes(url, home, 'video.bin', source, join(work.path, 'copy.bin'));
    // No multipart leftovers in the store's own folder.
    expect(readdirSync(join(work.path, 'store', '.tierdrop', 'uploads'))).toEqual([]);
  }, 120_000);
});
