// Which paths of a sync root are never uploaded: the built-in defaults (OS litter, editors' temp
// files, Tierdrop's own state folder) plus the root's `.tierdropignore`, read with gitignore rules.

/** OS and editor files nobody means to back up; a `.tierdropignore` can re-include them with `!`. */
export const DEFAULT_IGNORE_LINES: readonly string[] = [
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  '*~',
  '.*.swp',
  '*.tmp',
  '.~lock.*',
  '.tierdrop/',
];

export const IGNORE_FILE_NAME = '.tierdropignore';

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  pattern: RegExp;
}

/** One gitignore line as a rule, or null for blanks and comments. */
function parseLine(raw: string): Rule | null {
  // Trailing spaces are dropped unless escaped with a backslash, as git does.
  let line = raw.replace(/(?<!\\)\s+$/, '');
  if (line === '' || line.startsWith('#')) return null;
  let negate = false;
  if (line.startsWith('!')) {
    negate = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith('/')) {
    dirOnly = true;
    line = line.replace(/\/+$/, '');
  }
  if (line === '') return null;
  // A slash anywhere but the end ties the pattern to the root; otherwise it matches at any depth.
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  const body = globToRegex(line);
  return { negate, dirOnly, pattern: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`, 'u') };
}

function globToRegex(glob: string): string {
  let out = '';
  let index = 0;
  while (index < glob.length) {
    const char = glob.charAt(index);
    if (char === '*') {
      const double = glob.charAt(index + 1) === '*';
      const atSegmentStart = index === 0 || glob.charAt(index - 1) === '/';
      const nextIndex = double ? index + 2 : index + 1;
      if (double && atSegmentStart && (nextIndex === glob.length || glob.charAt(nextIndex) === '/')) {
        // `**/` is any number of folders (none included); a trailing `**` is everything inside.
        if (nextIndex === glob.length) {
          out += '.*';
          index = nextIndex;
        } else {
          out += '(?:.*/)?';
          index = nextIndex + 1;
        }
        continue;
      }
      out += '[^/]*';
      index = nextIndex;
    } else if (char === '?') {
      out += '[^/]';
      index += 1;
    } else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close < 0) {
        out += '\\[';
        index += 1;
        continue;
      }
      let inside = glob.slice(index + 1, close);
      const negated = inside.startsWith('!') || inside.startsWith('^');
      if (negated) inside = inside.slice(1);
      out += `[${negated ? '^' : ''}${inside.replace(/[\\\]]/g, '\\$&')}]`;
      index = close + 1;
    } else if (char === '\\' && index + 1 < glob.length) {
      out += escapeRegex(glob.charAt(index + 1));
      index += 2;
    } else {
      out += escapeRegex(char);
      index += 1;
    }
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export class IgnoreMatcher {
  readonly #rules: Rule[];

  constructor(lines: readonly string[]) {
    this.#rules = lines.map(parseLine).filter((rule): rule is Rule => rule !== null);
  }

  /** The defaults followed by the lines of a `.tierdropignore` (later lines win, as in git). */
  static fromIgnoreFile(text: string | null): IgnoreMatcher {
    return new IgnoreMatcher([...DEFAULT_IGNORE_LINES, ...(text === null ? [] : text.split(/\r?\n/))]);
  }

  /**
   * Whether `key` (relative, '/' separators) is ignored, given that none of its folders is: the
   * walker prunes ignored folders, so it only asks about the entry itself.
   */
  ignoresEntry(key: string, isDir: boolean): boolean {
    let ignored = false;
    for (const rule of this.#rules) {
      if (rule.dirOnly && !isDir) continue;
      if (rule.negate === ignored && rule.pattern.test(key)) ignored = !rule.negate;
    }
    return ignored;
  }

  /** Whether `key` is ignored, itself or through one of its folders (for a single watcher event). */
  ignores(key: string, isDir: boolean): boolean {
    const segments = key.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) {
      if (this.ignoresEntry(segments.slice(0, depth).join('/'), true)) return true;
    }
    return this.ignoresEntry(key, isDir);
  }
}
