import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../core/transfer/source.js';
import { expandSources } from '../../core/transfer/walk.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tierdrop-walk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('expandSources', () => {
  it('keys a dropped file by its name and a dropped folder by its name and inner paths', async () => {
    writeFileSync(join(root, 'a.txt'), 'a');
    mkdirSync(join(root, 'photos', '2026'), { recursive: true });
    writeFileSync(join(root, 'photos', 'cover.jpg'), 'c');
    writeFileSync(join(root, 'photos', '2026', 'x.jpg'), 'x');
    const result = await expandSources([join(root, 'a.txt'), join(root, 'photos')]);
    expect(result.problems).toEqual([]);
    expect(result.files.map((file) => file.relativeKey)).toEqual(['a.txt', 'photos/2026/x.jpg', 'photos/cover.jpg']);
  });

  it('reports a missing path, an empty folder and a link loop, and keeps the rest', async () => {
    writeFileSync(join(root, 'ok.txt'), 'ok');
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'loop'));
    writeFileSync(join(root, 'loop', 'inside.txt'), 'i');
    symlinkSync(join(root, 'loop'), join(root, 'loop', 'again'));
    const result = await expandSources([join(root, 'missing.bin'), join(root, 'empty'), join(root, 'loop'), join(root, 'ok.txt')]);
    expect(result.files.map((file) => file.relativeKey)).toEqual(['loop/inside.txt', 'ok.txt']);
    const codes = result.problems.map((problem) => problem.error.code);
    expect(codes).toEqual(['source_missing', 'invalid_input', 'source_loop']);
    expect(result.problems[1]?.error.message).toContain('contains no files');
    expect(result.problems[2]?.error.message).toContain('links back');
  });

  it('reports a link that points at itself', async () => {
    symlinkSync(join(root, 'self'), join(root, 'self'));
    const result = await expandSources([join(root, 'self')]);
    expect(result.files).toEqual([]);
    expect(result.problems[0]?.error.code).toBe('source_loop');
  });

  it('refuses two sources that would land on one key', async () => {
    mkdirSync(join(root, 'one'));
    mkdirSync(join(root, 'two'));
    writeFileSync(join(root, 'one', 'same.txt'), '1');
    writeFileSync(join(root, 'two', 'same.txt'), '2');
    const result = await expandSources([join(root, 'one', 'same.txt'), join(root, 'two', 'same.txt')]);
    expect(result.files).toHaveLength(1);
    expect(result.problems[0]?.error.message).toContain('would both be stored');
  });

  it('gives each file the fingerprint the engine checks before sending it', async () => {
    mkdirSync(join(root, 'photos'));
    writeFileSync(join(root, 'photos', 'a.jpg'), 'a');
    writeFileSync(join(root, 'photos', 'b.jpg'), 'bb');
    const result = await expandSources([join(root, 'photos')]);
    for (const file of result.files) expect(file.print).toEqual(await fingerprint(file.sourcePath));
    expect(result.files.map((file) => file.print.sizeBytes)).toEqual([1, 2]);
  });
});
