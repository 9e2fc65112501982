// Object keys kept in S3's listing order (UTF-8 byte order, which is code-point order), with the
// binary searches listing needs: where a prefix starts, and where the keys sharing it end.

/** Compares strings by code point; plain `<` on UTF-16 units misorders astral characters. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const unitA = a.charCodeAt(i);
    const unitB = b.charCodeAt(i);
    if (unitA !== unitB) return codePointRank(unitA) - codePointRank(unitB);
  }
  return a.length - b.length;
}

/** Surrogates (U+D800–DFFF) encode code points above U+FFFF, so they must rank above U+E000–FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

export class SortedKeys {
  private readonly keys: string[];

  constructor(keys: Iterable<string> = []) {
    this.keys = [...keys].sort(compareKeys);
  }

  get length(): number {
    return this.keys.length;
  }

  at(index: number): string | undefined {
    return this.keys[index];
  }

  insert(key: string): void {
    const index = this.lowerBound(key);
    if (this.keys[index] !== key) this.keys.splice(index, 0, key);
  }

  remove(key: string): void {
    const index = this.lowerBound(key);
    if (this.keys[index] === key) this.keys.splice(index, 1);
  }

  /** Index of the first key ≥ `key`. */
  lowerBound(key: string): number {
    return this.firstIndexWhere((candidate) => compareKeys(candidate, key) >= 0);
  }

  /** Index of the first key > `key`. */
  upperBound(key: string): number {
    return this.firstIndexWhere((candidate) => compareKeys(candidate, key) > 0);
  }

  /** Index of the first key after every key that starts with `prefix`. */
  endOfPrefix(prefix: string): number {
    // Keys starting with the prefix are contiguous and follow every key below the prefix.
    return this.firstIndexWhere((candidate) => compareKeys(candidate, prefix) > 0 && !candidate.startsWith(prefix));
  }

  private firstIndexWhere(predicate: (key: string) => boolean): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (predicate(this.keys[middle] ?? '')) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
