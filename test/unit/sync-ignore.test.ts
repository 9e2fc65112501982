// .tierdropignore: gitignore rules over root-relative keys, plus the built-in defaults.
import { describe, expect, it } from 'vitest';
import { IgnoreMatcher } from '../../core/sync/index.js';

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
