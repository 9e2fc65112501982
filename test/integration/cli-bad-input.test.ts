// What a person sees when something is wrong: each bad input gets a clear message, the rest of
// the work goes on, and the journal stays consistent (reopened and checked after every case).
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../core/journal/index.js';
import { journalPath } from '../../core/service/index.js';
import { runCli, startCli } from '../support/cli.js';
import { sha256OfFile, tempDir, writeRandomFile } from '../support/files.js';
import { startS3TestServer, type S3TestServer } from '../support/s3-server/index.js';
import { waitFor } from '../support/service.js';

let server: S3TestServer;
let work: ReturnType<typeof tempDir>;
let counter = 0;

beforeAll(async () => {
  work = tempDir('badinput');
  chmodSync(work.path, 0o755);
  server = await startS3TestServer({ dataDir: join(work.path, 'store'), buckets: ['bucket'] });
});

afterAll(async () => {
  await server.close();
  work.cleanup();
});

function freshHome(): string {
  counter += 1;
  return join(work.path, `home-${counter}`);
}

function s3Url(prefix: string): string {
  return `s3://bucket/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1`;
}

function assertJournalConsistent(home: string): void {
  const { journal, report } = Journal.open(journalPath(home));
  try {
    expect(report.setAsidePath).toBeNull();
    expect(journal.integrityCheck()).toEqual([]);
    for (const row of journal.listUploads()) {
      const progress = journal.partProgress(row.id);
      if (row.state === 'done') expect(progress.partsDone).toBe(progress.partsTotal);
      if (row.state === 'failed') expect(row.errorMessage).toBeTruthy();
    }
  } finally {
    journal.close();
  }
}

describe('bad input', () => {
  it('a missing path is named, and the other files still go up', async () => {
    const home = freshHome();
    const good = join(work.path, 'good.txt');
    writeFileSync(good, 'hello');
    const result = await runCli(['upload', join(work.path, 'nope.bin'), good, '--to', s3Url('missing')], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(work.path, 'nope.bin')} does not exist`);
    expect(result.stderr).toContain('done    missing/good.txt');
    assertJournalConsistent(home);
  });

  it('an empty file is stored as an empty object', async () => {
    const home = freshHome();
    const empty = join(work.path, 'empty.txt');
    writeFileSync(empty, '');
    const result = await runCli(['upload', empty, '--to', s3Url('empty')], { home });
    expect(result.stderr).toContain('1 uploaded, 0 failed, 0 skipped');
    expect(result.code).toBe(0);
    const copy = join(work.path, 'empty-copy.txt');
    expect((await runCli(['get', 'empty.txt', '--from', s3Url('empty'), '-o', copy], { home })).code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(empty));
    assertJournalConsistent(home);
  });

  it('a folder with no files and a symlink loop are explained', async () => {
    const home = freshHome();
    const empty = join(work.path, 'empty-folder');
    mkdirSync(empty);
    const looping = join(work.path, 'looping');
    mkdirSync(looping);
    writeFileSync(join(looping, 'real.txt'), 'real');
    symlinkSync(looping, join(looping, 'back'));
    const selfLink = join(work.path, 'self-link');
    symlinkSync(selfLink, selfLink);
    const result = await runCli(['upload', empty, looping, selfLink, '--to', s3Url('loops')], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('contains no files, so there is nothing to upload');
    expect(result.stderr).toContain('links back');
    expect(result.stderr).toContain('loops back on itself');
    expect(result.stderr).toContain('done    loops/looping/real.txt');
    assertJournalConsistent(home);
  });

  it('an unreadable file is reported and skipped', async () => {
    const home = freshHome();
    const folder = join(work.path, 'mixed');
    mkdirSync(folder);
    writeFileSync(join(folder, 'open.txt'), 'open');
    writeFileSync(join(folder, 'secret.txt'), 'secret');
    chmodSync(join(folder, 'secret.txt'), 0o000);
    // Root reads everything; the command runs without that power so the file is really unreadable.
    const result = await runCli(['upload', folder, '--to', s3Url('perm')], { home, withoutRootFileAccess: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('secret.txt cannot be read: permission denied');
    expect(result.stderr).toContain('done    perm/mixed/open.txt');
    assertJournalConsistent(home);
  });

  it('a destination folder that cannot be written is explained, and nothing is half-written', async () => {
    const home = freshHome();
    const store = join(work.path, 'read-only-store');
    mkdirSync(store, { mode: 0o555 });
    chmodSync(store, 0o555);
    const file = join(work.path, 'to-read-only.txt');
    writeFileSync(file, 'x');
    const result = await runCli(['upload', file, '--to', `file://${store}`], { home, withoutRootFileAccess: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed  to-read-only\.txt: .*permission/i);
    chmodSync(store, 0o755);
    assertJournalConsistent(home);
  });

  it('wrong credentials fail fast with what to fix', async () => {
    const home = freshHome();
    const file = join(work.path, 'creds.txt');
    writeFileSync(file, 'x');
    const started = Date.now();
    const result = await runCli(['upload', file, '--to', s3Url('creds')], {
      home,
      env: { AWS_ACCESS_KEY_ID: 'not-a-key', AWS_SECRET_ACCESS_KEY: 'nope' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed  creds\/creds\.txt: .*(credential|access key)/i);
    expect(Date.now() - started).toBeLessThan(15_000);
    assertJournalConsistent(home);
  });

  it('a bad URL or a missing argument is a usage error', async () => {
    const home = freshHome();
    const noTo = await runCli(['upload', work.path], { home });
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('--to URL is required');
    const badUrl = await runCli(['upload', work.path, '--to', 'ftp://x'], { home });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('is not a destination');
  });

  it('a damaged journal is set aside with a message, never overwritten', async () => {
    const home = freshHome();
    mkdirSync(home, { recursive: true });
    writeFileSync(journalPath(home), 'this is not a database, it is a shopping list\n'.repeat(200));
    const file = join(work.path, 'after-damage.txt');
    writeFileSync(file, 'ok');
    const result = await runCli(['upload', file, '--to', s3Url('damaged')], { home });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/moved to .*damaged/);
    assertJournalConsistent(home);
  });

  it('a store that keeps erring leaves a retryable failure, which `tierdrop resume` finishes', async () => {
    const home = freshHome();
    const source = join(work.path, 'erring.txt');
    writeFileSync(source, 'kept trying');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ maxAttempts: 2, retryBaseDelayMs: 10, retryMaxDelayMs: 20 }));
    server.setFaults({ errorRate: { PutObject: 1 } });
    let failed;
    try {
      failed = await runCli(['upload', source, '--to', s3Url('erring')], { home });
    } finally {
      server.setFaults({});
    }
    expect(failed.code).toBe(1);
    expect(`${failed.stdout}${failed.stderr}`).toContain('0 uploaded, 1 failed');
    const resumed = await runCli(['resume'], { home });
    expect(resumed.code).toBe(0);
    expect(`${resumed.stdout}${resumed.stderr}`).toContain('Resuming 1 upload.');
    const copy = join(work.path, 'erring-copy.txt');
    expect((await runCli(['get', 'erring.txt', '--from', s3Url('erring'), '-o', copy], { home })).code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(source));
    assertJournalConsistent(home);
  });

  it('Ctrl-C pauses cleanly and says how to resume', async () => {
    const home = freshHome();
    const big = join(work.path, 'interrupt.bin');
    writeRandomFile(big, 64 * 1024 * 1024);
    server.setFaults({ throttleBytesPerSec: 16 * 1024 * 1024 });
    try {
      const run = startCli(['upload', big, '--to', s3Url('interrupt'), '--json'], { home });
      await waitFor(() => run.events().some((event) => event['type'] === 'transfer.progress'), 30_000, 'progress');
      run.child.kill('SIGINT');
      const exited = await run.exited;
      expect(exited.code).toBe(130);
      expect(run.stdout()).toContain('Run `tierdrop resume` to continue.');
      const { journal } = Journal.open(journalPath(home));
      try {
        expect(journal.listUploads().map((row) => row.state)).toEqual(['paused']);
      } finally {
        journal.close();
      }
    } finally {
      server.setFaults({});
    }
    const resumed = await runCli(['resume'], { home });
    expect(resumed.code).toBe(0);
    const copy = join(work.path, 'interrupt-copy.bin');
    expect((await runCli(['get', 'interrupt.bin', '--from', s3Url('interrupt'), '-o', copy], { home })).code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(big));
    assertJournalConsistent(home);
  });
});
