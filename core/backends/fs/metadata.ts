// Content type and user metadata of objects in a local folder, kept beside Tierdrop's state (a file
// system has nowhere portable to put them). Each record names the version it belongs to, so a file
// that was replaced behind our back never shows another file's metadata.
import { readFile, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomically } from './atomic.js';
import { errnoCode } from './errors.js';
import type { FsLayout } from './layout.js';

const MetadataRecord = z.object({
  etag: z.string(),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
});
export type MetadataRecord = z.infer<typeof MetadataRecord>;

export interface ObjectDescription {
  contentType?: string;
  metadata: Record<string, string>;
}

/** The description of `key` at version `etag`; empty when none was recorded for that version. */
export async function readMetadata(layout: FsLayout, key: string, etag: string): Promise<ObjectDescription> {
  let text: string;
  try {
    text = await readFile(layout.metadataPath(key), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { metadata: {} };
    throw error;
  }
  const parsed = safeParseJson(text);
  if (parsed === null || parsed.etag !== etag) return { metadata: {} };
  return parsed.contentType === undefined
    ? { metadata: parsed.metadata }
    : { contentType: parsed.contentType, metadata: parsed.metadata };
}

/** Records (or, when there is nothing to say, forgets) the description of version `etag`. */
export async function writeMetadata(layout: FsLayout, key: string, etag: string, description: ObjectDescription): Promise<void> {
  const path = layout.metadataPath(key);
  if (description.contentType === undefined && Object.keys(description.metadata).length === 0) {
    await removeMetadata(layout, key);
    return;
  }
  const record: MetadataRecord = { etag, ...description };
  await writeFileAtomically(layout.tmpDir, path, Buffer.from(JSON.stringify(record), 'utf8'), { createParents: true });
}

export async function removeMetadata(layout: FsLayout, key: string): Promise<void> {
  await unlink(layout.metadataPath(key)).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
  });
}

function safeParseJson(text: string): MetadataRecord | null {
  try {
    const parsed = MetadataRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
