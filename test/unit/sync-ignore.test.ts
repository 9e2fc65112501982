// .tierdropignore: gitignore rules over root-relative keys, plus the built-in defaults; a file in a
// sub-folder speaks for that folder, as a nested .gitignore does.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IgnoreMatcher } from '../../core/sync/index.js';
import { walkRoot } from '../../core/sync/walk.js';
import { tempDir } from '../support/files.js';

describe('the default ignore rules', () => {
  const defaults = IgnoreMatcher.fromIgnoreFile(null);

  it.each(['.DS_Store', 'sub/.DS_Store', 'Thumbs.db', 'desktop.ini', 'notes.txt~', 'sub/.notes.txt.swp', 'x.tmp', '.~lock.report.odt#', '.tierdrop/state/x'])(
    'ignores %s',
    (key) => expect(defaults.ignores(key, false)).toBe(true),
  );

  it.each(['notes.txt', 'sub/x.tmpl', 'swp', 'tierdrop/x', '.tierdropignore'])('keeps %s', (key) => {
    expect(defaults.ignores(key, false)).toBe(false);
  });
});

describe('a .tierdropignore', () => {
  const matcher = IgnoreMatcher.fromIgnoreFile(
    ['# build output', 'build/', '/top.log', '*.log', '!keep.log', 'docs/**/draft-*', 'cache/**', 'a?c.txt', 'img[0-9].png', '\\#literal', ''].join('\n'),
  );

  it('ignores a folder and everything inside it, at any depth', () => {
    expect(matcher.ignores('build/out.js', false)).toBe(true);
    expect(matcher.ignores('pkg/build/deep/out.js', false)).toBe(true);
    expect(matcher.ignores('build', false)).toBe(false); // `build/` names folders only
    expect(matcher.ignoresEntry('build', true)).toBe(true);
  });

  it('honours negation, later rules winning', () => {
    expect(matcher.ignores('x.log', false)).toBe(true);
    expect(matcher.ignores('sub/keep.log', false)).toBe(false);
  });

  it('anchors patterns with a slash to the root', () => {
    expect(matcher.ignores('top.log', false)).toBe(true);
    expect(matcher.ignores('docs/a/b/draft-1.md', false)).toBe(true);
    expect(matcher.ignores('docs/draft-1.md', false)).toBe(true);
    expect(matcher.ignores('other/docs/draft-1.md', false)).toBe(false);
    expect(matcher.ignores('cache/x/y', false)).toBe(true);
  });

  it('reads ?, character classes and escapes', () => {
    expect(matcher.ignores('abc.txt', false)).toBe(true);
    expect(matcher.ignores('ab/c.txt', false)).toBe(false);
    expect(matcher.ignores('img7.png', false)).toBe(true);
    expect(matcher.ignores('imgx.png', false)).toBe(false);
    expect(matcher.ignores('#literal', false)).toBe(true);
  });

  it('lets a rule re-include a default', () => {
    const custom = IgnoreMatcher.fromIgnoreFile('!*.tmp');
    expect(custom.ignores('x.tmp', false)).toBe(false);
    expect(custom.ignores('.DS_Store', false)).toBe(true);
  });
});

describe('a .tierdropignore in a sub-folder', () => {
  const matcher = IgnoreMatcher.fromIgnoreFile(['*.log', '/top-only.txt'].join('\n'));
  matcher.setFolderRules('app', ['dist/', '/local.env', '!keep.log', 'secret-*'].join('\n'));
  matcher.setFolderRules('app/deep', ['!secret-ok.txt', '*.bin'].join('\n'));

  it('applies its rules relative to its own folder', () => {
    expect(matcher.ignores('app/dist/bundle.js', false)).toBe(true);
    expect(matcher.ignores('app/src/dist/bundle.js', false)).toBe(true); // no slash before: any depth below app
    expect(matcher.ignores('dist/bundle.js', false)).toBe(false); // outside app, its rules do not reach
    expect(matcher.ignores('app/local.env', false)).toBe(true);
    expect(matcher.ignores('app/sub/local.env', false)).toBe(false); // anchored to app/, not to the root
    expect(matcher.ignores('local.env', false)).toBe(false);
    expect(matcher.ignores('app/top-only.txt', false)).toBe(false); // the root's anchored rule stays at the root
  });

  it('lets the nearer file win over the root and over folders above it', () => {
    expect(matcher.ignores('app/keep.log', false)).toBe(false);
    expect(matcher.ignores('app/x/keep.log', false)).toBe(false);
    expect(matcher.ignores('other/keep.log', false)).toBe(true);
    expect(matcher.ignores('app/secret-key.txt', false)).toBe(true);
    expect(matcher.ignores('app/deep/secret-ok.txt', false)).toBe(false);
    expect(matcher.ignores('app/deep/secret-no.txt', false)).toBe(true);
    expect(matcher.ignores('app/deep/blob.bin', false)).toBe(true);
    expect(matcher.ignores('app/blob.bin', false)).toBe(false);
  });

  it('cannot re-include a file inside a folder ignored above it, as in git', () => {
    const nested = IgnoreMatcher.fromIgnoreFile('vendor/');
    nested.setFolderRules('vendor', '!*');
    expect(nested.ignores('vendor/lib.js', false)).toBe(true);
  });

  it('is forgotten when the file goes away', () => {
    const forgetful = IgnoreMatcher.fromIgnoreFile(null);
    forgetful.setFolderRules('app', '*.txt');
    expect(forgetful.ignores('app/a.txt', false)).toBe(true);
    forgetful.setFolderRules('app', null);
    expect(forgetful.ignores('app/a.txt', false)).toBe(false);
  });

  it('is read by the walk before the folder’s files are judged', async () => {
    const work = tempDir('sync-ignore-walk');
    try {
      mkdirSync(join(work.path, 'app', 'dist'), { recursive: true });
      mkdirSync(join(work.path, 'docs'), { recursive: true });
      writeFileSync(join(work.path, '.tierdropignore'), '*.log\n');
      writeFileSync(join(work.path, 'app', '.tierdropignore'), 'dist/\n!debug.log\n/notes.md\n');
      for (const file of ['app/dist/out.js', 'app/debug.log', 'app/error.log', 'app/notes.md', 'app/main.ts', 'docs/notes.md', 'docs/debug.log']) {
        writeFileSync(join(work.path, ...file.split('/')), file);
      }
      const matcher = IgnoreMatcher.fromIgnoreFile(readFileSync(join(work.path, '.tierdropignore'), 'utf8'));
      const keys: string[] = [];
      for await (const item of walkRoot(work.path, '', { ignore: matcher, followSymlinks: false })) {
        if (item.kind === 'file') keys.push(item.key);
      }
      expect(keys.sort()).toEqual(['.tierdropignore', 'app/.tierdropignore', 'app/debug.log', 'app/main.ts', 'docs/notes.md']);
    } finally {
      work.cleanup();
    }
  });
});
