// Multipart uploads in a local folder: `uploads/<uploadId>/upload.json` (key, initiation time,
// content type, metadata) and one file per part named `<partNo>.<md5>`, so a part's receipt is
// known without reading it again.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from './atomic.js';
import { errnoCode } from './errors.js';
import type { FsLayout } from './layout.js';

export const MIN_PART_NO = 1; // S3 numbering, so receipts mean the same on every backend
export const MAX_PART_NO = 10_000; // S3's maximum part count
const PART_NO_DIGITS = 5; // room for MAX_PART_NO, so part files sort in part order
const UPLOAD_FILE = 'upload.json';
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PART_FILE = /^(\d{5})\.([0-9a-f]{32})$/;

const UploadRecord = z.object({
  key: z.string(),
  initiatedMs: z.number(),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
});
export type UploadRecord = z.infer<typeof UploadRecord>;

export interface StoredPart {
  partNo: number;
  md5Hex: string;
  sizeBytes: number;
  path: string;
}

/** Upload ids are ours (random UUIDs); anything else cannot name an upload, nor a path. */
export function isUploadId(uploadId: string): boolean {
  return UPLOAD_ID.test(uploadId);
}

export function partFileName(partNo: number, md5Hex: string): string {
  return `${String(partNo).padStart(PART_NO_DIGITS, '0')}.${md5Hex}`;
}

export async function createUpload(layout: FsLayout, uploadId: string, record: UploadRecord): Promise<void> {
  const folder = layout.uploadDir(uploadId);
  await mkdir(folder, { recursive: true });
  await writeFileAtomically(layout.tmpDir, join(folder, UPLOAD_FILE), Buffer.from(JSON.stringify(record), 'utf8'), {
    createParents: false,
  });
}

/** The upload's record, or null when it does not exist (never created, completed or aborted). */
export async function readUpload(layout: FsLayout, uploadId: string): Promise<UploadRecord | null> {
  if (!isUploadId(uploadId)) return null;
  let text: string;
  try {
    text = await readFile(join(layout.uploadDir(uploadId), UPLOAD_FILE), 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
  try {
    const parsed = UploadRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The upload's parts by part number. A part uploaded twice is replaced by renaming the new file
 * in and then removing the old one; if both are seen in between, the newer one wins.
 */
export async function readParts(layout: FsLayout, uploadId: string): Promise<Map<number, StoredPart>> {
  const folder = layout.uploadDir(uploadId);
  const newest = new Map<number, { part: StoredPart; mtimeNs: bigint }>();
  for (const name of await readdir(folder)) {
    const match = PART_FILE.exec(name);
    if (match === null) continue;
    const path = join(folder, name);
    let stats;
    try {
      stats = await stat(path, { bigint: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue; // replaced while we looked
      throw error;
    }
    const partNo = Number(match[1]);
    const existing = newest.get(partNo);
    if (existing !== undefined && existing.mtimeNs > stats.mtimeNs) continue;
    const part = { partNo, md5Hex: match[2] ?? '', sizeBytes: Number(stats.size), path };
    newest.set(partNo, { part, mtimeNs: stats.mtimeNs });
  }
  return new Map([...newest].sort(([a], [b]) => a - b).map(([partNo, { part }]) => [partNo, part]));
}

export async function listUploadIds(layout: FsLayout): Promise<string[]> {
  try {
    return (await readdir(layout.uploadsDir)).filter(isUploadId);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}
