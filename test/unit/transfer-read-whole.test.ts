// Reading a small file whole: the bytes, a fingerprint of the same file taken after the read, and
// Node's own error for a file that cannot be read.
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWholeFile } from '../../core/transfer/read-whole.js';

describe('readWholeFile', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  function scratch(): string {
    const folder = mkdtempSync(join(tmpdir(), 'tierdrop-read-whole-'));
    folders.push(folder);
    return folder;
  }

  it('answers the bytes and the fingerprint stat gives', async () => {
    const path = join(scratch(), 'a.bin');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 251));
    writeFileSync(path, bytes);
    const whole = await readWholeFile(path, bytes.length, new AbortController().signal);
    expect(whole.bytes.equals(bytes)).toBe(true);
    const info = statSync(path, { bigint: true });
    expect(whole.fingerprint).toEqual({ sizeBytes: bytes.length, mtimeMs: Number(info.mtimeNs) / 1e6, inode: info.ino.toString() });
  });

  it('reads one byte past the size it was told, so a file that grew is seen', async () => {
    const path = join(scratch(), 'grown.txt');
    writeFileSync(path, 'hello');
    appendFileSync(path, ', world');
    const whole = await readWholeFile(path, 5, new AbortController().signal);
    expect(whole.bytes.toString()).toBe('hello,');
    expect(whole.fingerprint.sizeBytes).toBe(12);
  });

  it('reads an empty file', async () => {
    const path = join(scratch(), 'empty');
    writeFileSync(path, '');
    const whole = await readWholeFile(path, 0, new AbortController().signal);
    expect(whole.bytes.length).toBe(0);
  });

  it("rejects with Node's error for a missing file or a folder, and with the reason when aborted", async () => {
    const folder = scratch();
    await expect(readWholeFile(join(folder, 'gone'), 1, new AbortController().signal)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readWholeFile(folder, 1, new AbortController().signal)).rejects.toMatchObject({ code: 'EISDIR' });
    const controller = new AbortController();
    controller.abort(new Error('paused'));
    await expect(readWholeFile(join(folder, 'gone'), 1, controller.signal)).rejects.toThrow('paused');
  });
});
