// Orphan sweeping: LT revisions and multipart uploads that no tombstone and no journal entry refers
// to, older than a grace period. What a crash with a lost journal, or another client, leaves behind.
import type { Journal } from '../journal/index.js';
import { revisionTimeMs } from './layout.js';
import type { TieredStorage } from './tiered-storage.js';
import { UploadTokens } from './token.js';

export const DEFAULT_SWEEP_GRACE_MS = 24 * 60 * 60 * 1000; // a live upload elsewhere is rarely a day old

export type Orphan =
  | { kind: 'revision'; ltKey: string; key: string; revision: string; sizeBytes: number; ageMs: number }
  | { kind: 'upload'; ltKey: string; key: string; revision: string; uploadId: string; ageMs: number };

export async function findOrphans(storage: TieredStorage, journal: Journal, olderThanMs: number, nowMs = Date.now()): Promise<Orphan[]> {
  const layout = storage.layout;
  // What this journal still works on: its outstanding changes and its unfinished uploads' revisions.
  const owned = new Set<string>();
  for (const change of journal.changes.list(storage.destination)) {
    for (const revision of [change.oldRevision, change.newRevision]) {
      if (revision !== null) owned.add(layout.revisionKey(change.key, revision));
    }
  }
  const tokens = new UploadTokens(() => journal.changes.uploadTokenKey());
  // Every upload, not just this URL's: rows keep the URL as typed, and the token names its key anyway.
  for (const upload of journal.listUploads()) {
    if (upload.backendUploadId === null || upload.state === 'done' || upload.state === 'cancelled') continue;
    try {
      const payload = tokens.verify(upload.backendUploadId, upload.key);
      owned.add(layout.revisionKey(payload.key, payload.revision));
    } catch {
      // Not a tiered token (a direct upload to this URL): it names no revision.
    }
  }
  // A revision a tombstone names is kept whatever else is true; a multipart upload is not: once its
  // revision is committed, an upload still open there is a clean-up that never ran (nothing
  // completes it again), so only an owner in the journal, or the grace period, keeps it.
  const kept = new Set([...(await storage.referencedRevisions()), ...owned]);

  const orphans: Orphan[] = [];
  for await (const meta of storage.lt.list(layout.ltRoot)) {
    const parsed = layout.parseRevisionKey(meta.key);
    if (parsed === null || kept.has(meta.key)) continue;
    const ageMs = nowMs - Math.min(meta.lastModifiedMs, revisionTimeMs(parsed.revision));
    if (ageMs >= olderThanMs) orphans.push({ kind: 'revision', ltKey: meta.key, ...parsed, sizeBytes: meta.sizeBytes, ageMs });
  }
  for await (const upload of storage.lt.listUploads(layout.ltRoot)) {
    const parsed = layout.parseRevisionKey(upload.key);
    if (parsed === null || owned.has(upload.key)) continue;
    const ageMs = nowMs - upload.initiatedMs;
    if (ageMs >= olderThanMs) orphans.push({ kind: 'upload', ltKey: upload.key, ...parsed, uploadId: upload.uploadId, ageMs });
  }
  return orphans;
}

export async function removeOrphans(storage: TieredStorage, orphans: readonly Orphan[]): Promise<void> {
  for (const orphan of orphans) {
    if (orphan.kind === 'upload') await storage.lt.abort(orphan.ltKey, orphan.uploadId);
    else await storage.lt.delete(orphan.ltKey);
  }
}
