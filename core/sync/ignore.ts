// Which paths of a sync root are never uploaded: the built-in defaults (OS litter, editors' temp
// files, Tierdrop's own state folder) plus every `.tierdropignore` in the tree, with gitignore rules.

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
  readonly #defaults: Rule[];
  /**
   * The rules of each `.tierdropignore` found, by the key of the folder holding it ('' for the
   * root). As in git, a file's rules apply to paths relative to its folder, and deeper files win.
   */
  readonly #folders = new Map<string, Rule[]>();

  constructor(lines: readonly string[]) {
    this.#defaults = parseLines(lines);
  }

  /** The defaults followed by the lines of the root's `.tierdropignore` (later lines win, as in git). */
  static fromIgnoreFile(text: string | null): IgnoreMatcher {
    const matcher = new IgnoreMatcher(DEFAULT_IGNORE_LINES);
    matcher.setFolderRules('', text);
    return matcher;
  }

  /** Reads (or, with null, forgets) the `.tierdropignore` of the folder `folderKey` ('' is the root). */
  setFolderRules(folderKey: string, text: string | null): void {
    const rules = text === null ? [] : parseLines(text.split(/\r?\n/));
    if (rules.length === 0) this.#folders.delete(folderKey);
    else this.#folders.set(folderKey, rules);
  }

  /**
   * Whether `key` (relative, '/' separators) is ignored, given that none of its folders is: the
   * walker prunes ignored folders, so it only asks about the entry itself.
   */
  ignoresEntry(key: string, isDir: boolean): boolean {
    let ignored = applyRules(this.#defaults, key, isDir, false);
    const rootRules = this.#folders.get('');
    if (rootRules) ignored = applyRules(rootRules, key, isDir, ignored);
    if (this.#folders.size === (rootRules ? 1 : 0)) return ignored; // the usual case: no nested files
    // Each folder on the way down, shallow to deep, so the nearest file has the last word.
    for (let cut = key.indexOf('/'); cut >= 0; cut = key.indexOf('/', cut + 1)) {
      const rules = this.#folders.get(key.slice(0, cut));
      if (rules) ignored = applyRules(rules, key.slice(cut + 1), isDir, ignored);
    }
    return ignored;
  }

  /** Whether `key` is ignored, itself or through one of its folders (for a single watcher event). */
  ignores(key: string, isDir: boolean): boolean {
    for (let cut = key.indexOf('/'); cut >= 0; cut = key.indexOf('/', cut + 1)) {
      if (this.ignoresEntry(key.slice(0, cut), true)) return true;
    }
    return this.ignoresEntry(key, isDir);
  }
}

function parseLines(lines: readonly string[]): Rule[] {
  return lines.map(parseLine).filter((rule): rule is Rule => rule !== null);
}

/** The verdict after `rules`, starting from `ignored`: the last rule that matches decides. */
function applyRules(rules: readonly Rule[], key: string, isDir: boolean, ignored: boolean): boolean {
  let verdict = ignored;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.negate === verdict && rule.pattern.test(key)) verdict = !rule.negate;
  }
  return verdict;
}
