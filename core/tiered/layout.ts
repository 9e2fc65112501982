// Where the two tiers of a destination live in one store: high-volume (HV) entries at their own
// keys, long-term (LT) revisions under a reserved folder, `{prefix}.tierdrop-lt/{key}/{uuidv7}`.
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { TierdropError } from '../errors/index.js';
import { printable } from '../backends/keys.js';

/** The reserved folder (under the destination prefix) that holds every LT revision. */
export const LT_FOLDER = '.tierdrop-lt';

export class TieredLayout {
  /** Every LT revision key starts with this. */
  readonly ltRoot: string;

  /** `prefix` is the destination's key prefix: '' or 'some/folder/'. */
  constructor(readonly prefix: string) {
    this.ltRoot = `${prefix}${LT_FOLDER}/`;
  }

  /** Whether `key` is inside the reserved LT folder, where no logical object may live. */
  isReserved(key: string): boolean {
    return key.startsWith(this.ltRoot);
  }

  /** Throws `invalid_input` for a key outside the destination or inside the reserved folder. */
  assertLogical(key: string, operation: string): void {
    if (!key.startsWith(this.prefix) || key.length === this.prefix.length) {
      throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": it is not under the destination prefix "${this.prefix}".`);
    }
    if (this.isReserved(key)) {
      throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": keys under ${LT_FOLDER}/ hold Tierdrop's stored revisions.`, {
        hint: `Rename the folder ${LT_FOLDER}.`,
      });
    }
  }

  revisionKey(key: string, revision: string): string {
    return `${this.ltRoot}${key.slice(this.prefix.length)}/${revision}`;
  }

  /** The logical key and revision an LT key stands for, or null for anything else found there. */
  parseRevisionKey(ltKey: string): { key: string; revision: string } | null {
    if (!this.isReserved(ltKey)) return null;
    const rest = ltKey.slice(this.ltRoot.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0) return null;
    const revision = rest.slice(slash + 1);
    if (!isRevision(revision)) return null;
    return { key: `${this.prefix}${rest.slice(0, slash)}`, revision };
  }
}

/** Revisions are UUIDv7: unique without coordination, and ordered by the time they were made. */
export function isRevision(text: string): boolean {
  return isUuid(text) && uuidVersion(text) === 7;
}

/** The millisecond timestamp a UUIDv7 carries in its first 48 bits. */
export function revisionTimeMs(revision: string): number {
  return Number.parseInt(revision.replaceAll('-', '').slice(0, 12), 16);
}
