// Moving a journal we cannot use out of the way, with the files SQLite keeps beside it, under a
// new name that never replaces anything: nothing is overwritten, nothing deleted.
import fs from 'node:fs';

// SQLite's companions of a database file; they stay with it so the moved copy opens as it was.
const SIDECAR_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

function taken(base: string): boolean {
  return fs.existsSync(base) || SIDECAR_SUFFIXES.some((suffix) => fs.existsSync(base + suffix));
}

/** `<path>.damaged-2024-05-01T120304.123Z`, or with `-2`, `-3`… if that name is taken. */
function setAsideName(journalPath: string, nowMs: number): string {
  // Colons are not allowed in Windows file names.
  const stamp = new Date(nowMs).toISOString().replaceAll(':', '');
  const base = `${journalPath}.damaged-${stamp}`;
  let candidate = base;
  for (let attempt = 2; taken(candidate); attempt += 1) candidate = `${base}-${attempt}`;
  return candidate;
}

export interface SetAside {
  /** The new name of the journal (its sidecars get the same name plus `-wal`, `-shm`…). */
  target: string;
  /** Every file that was moved, at its new path. */
  moved: string[];
}

/** Renames the journal and its sidecars to a fresh `.damaged-…` name. */
export function setAside(journalPath: string, nowMs: number): SetAside {
  const target = setAsideName(journalPath, nowMs);
  const moved: string[] = [];
  // The main file first: if we are killed half-way, the next open finds a log without its
  // journal and sets that aside too, rather than adopting a journal cut off from its log.
  for (const suffix of ['', ...SIDECAR_SUFFIXES]) {
    if (!fs.existsSync(journalPath + suffix)) continue;
    fs.renameSync(journalPath + suffix, target + suffix);
    moved.push(target + suffix);
  }
  return { target, moved };
}
