// Object names kept in GCS's listing order (by UTF-8 bytes, not UTF-16 code units), with binary
// search for insert, remove and "first name at or after".

export class SortedNames {
  private readonly names: string[] = [];
  private readonly bytes: Buffer[] = [];

  get size(): number {
    return this.names.length;
  }

  insert(name: string): void {
    const encoded = Buffer.from(name, 'utf8');
    const index = this.lowerBound(encoded);
    if (this.names[index] === name) return;
    this.names.splice(index, 0, name);
    this.bytes.splice(index, 0, encoded);
  }

  remove(name: string): void {
    const index = this.lowerBound(Buffer.from(name, 'utf8'));
    if (this.names[index] !== name) return;
    this.names.splice(index, 1);
    this.bytes.splice(index, 1);
  }

  /** Names from the first one >= `from` (or > `after`), in order. */
  *from(bound: { from?: string; after?: string }): Generator<string> {
    let index = 0;
    if (bound.from !== undefined) index = this.lowerBound(Buffer.from(bound.from, 'utf8'));
    if (bound.after !== undefined) {
      const after = Buffer.from(bound.after, 'utf8');
      index = Math.max(index, this.lowerBound(after));
      if (this.names[index] === bound.after) index += 1;
    }
    for (; index < this.names.length; index += 1) {
      const name = this.names[index];
      if (name !== undefined) yield name;
    }
  }

  private lowerBound(encoded: Buffer): number {
    let low = 0;
    let high = this.bytes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const probe = this.bytes[middle];
      if (probe !== undefined && Buffer.compare(probe, encoded) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
