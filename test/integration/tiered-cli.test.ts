// `tierdrop ls`, `rm` and `sweep` against a tiered local folder: logical objects listed, deletes
// leaving no revision, and orphans (a revision and a multipart upload nothing refers to) found,
// kept while younger than the grace period, and removed only with --yes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../core/backends/index.js';
import { MiB } from '../../core/contract/index.js';
import { decodeTombstone } from '../../core/tiered/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/files.js';

// Several real CLI processes per test (each starts tsx); a loaded two-core machine makes that slow.
const CLI_TEST_TIMEOUT_MS = 240_000;

let work: ReturnType<typeof tempDir>;

beforeAll(() => {
  work = tempDir('tiered-cli');
});

afterAll(() => work.cleanup());

describe('tiered destinations from the CLI', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('lists, deletes, and sweeps only what nothing refers to', async () => {
    const store = join(work.path, 'store');
    const url = `file://${store}`;
    const home = join(work.path, 'home');
    const folder = join(work.path, 'docs');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep.bin'), randomBytes(2 * MiB));
    writeFileSync(join(folder, 'gone.bin'), randomBytes(2 * MiB));
    writeFileSync(join(folder, 'note.txt'), 'hello');
    expect((await runCli(['upload', folder, '--to', url], { home })).code).toBe(0);

    expect((await runCli(['rm', 'docs/gone.bin', '--from', url], { home })).code).toBe(0);
    expect(existsSync(join(store, '.tierdrop-lt', 'docs', 'gone.bin'))).toBe(false);
    const listed = await runCli(['ls', '--to', url], { home });
    expect(listed.stdout).toContain('docs/keep.bin');
    expect(listed.stdout).toContain('docs/note.txt');
    expect(listed.stdout).not.toContain('gone.bin');
    expect(listed.stdout).not.toContain('.tierdrop-lt');

    // What a crash with a lost journal, or another client, could leave: a stray revision and upload.
    const strayRevision = join(store, '.tierdrop-lt', 'docs', 'keep.bin', uuidv7());
    writeFileSync(strayRevision, 'orphaned bytes');
    const backend = new FsBackend({ root: store });
    await backend.initiate(`.tierdrop-lt/docs/keep.bin/${uuidv7()}`);
    // And an upload left open at the committed revision's own key (a clean-up after its complete
    // that never ran): nothing will complete it again, so it is an orphan too, and aborting it must
    // leave the committed object alone.
    const committed = decodeTombstone(readFileSync(join(store, 'docs', 'keep.bin')));
    if (committed === null) throw new Error('expected keep.bin to be a tombstone');
    await backend.initiate(`.tierdrop-lt/docs/keep.bin/${committed.revision}`);

    const young = await runCli(['sweep', '--to', url], { home });
    expect(young.code).toBe(0);
    expect(young.stderr).toContain('Nothing to sweep');

    const dry = await runCli(['sweep', '--to', url, '--older-than', '0s'], { home });
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n')).toHaveLength(3);
    expect(dry.stderr).toContain('run again with --yes');
    expect(existsSync(strayRevision)).toBe(true);

    const swept = await runCli(['sweep', '--to', url, '--older-than', '0s', '--yes'], { home });
    expect(swept.stderr).toContain('Removed 3 orphans');
    expect(existsSync(strayRevision)).toBe(false);
    const uploads = [];
    for await (const upload of backend.listUploads('')) uploads.push(upload);
    expect(uploads).toEqual([]);
    const fetched = join(work.path, 'keep.copy');
    expect((await runCli(['get', 'docs/keep.bin', '--from', url, '-o', fetched], { home })).code).toBe(0);
    expect(readFileSync(fetched).equals(readFileSync(join(folder, 'keep.bin')))).toBe(true);
    await backend.dispose();
  });

  it('refuses a duration it cannot read, and sweeping a direct destination', async () => {
    const home = join(work.path, 'home-2');
    const bad = await runCli(['sweep', '--to', `file://${work.path}/x`, '--older-than', 'soon'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a duration');
    const direct = await runCli(['sweep', '--to', `file://${work.path}/x?mode=direct`], { home });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toContain('direct destination');
  });
});
