// The staging folder: files a browser dropped, streamed to the host before they are queued.
// A file appears at its final path only once every byte arrived; once queued, the journal's upload
// row is what keeps it (it resumes like any upload) and it is deleted when that upload is finished.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StagingBatchId } from '../contract/index.js';
import { TierdropError, localWriteError } from '../errors/index.js';

const INCOMING_FOLDER = '.incoming'; // half-received files live here, outside every batch
const MAX_RELATIVE_PATH_CHARS = 4096; // PATH_MAX on Linux; longer cannot be created anyway
const MAX_SEGMENT_BYTES = 255; // NAME_MAX on the common file systems

export function stagingRoot(home: string): string {
  return join(home, 'staging');
}

/** Checks a browser-supplied relative path ("photos/a.jpg") and returns its segments. */
export function safeRelativeSegments(relativePath: string): string[] {
  const refuse = (why: string) => new TierdropError('invalid_input', `The staged path "${relativePath}" is not allowed: ${why}.`);
  if (relativePath.length === 0) throw refuse('it is empty');
  if (relativePath.length > MAX_RELATIVE_PATH_CHARS) throw refuse('it is too long');
  if (relativePath.includes('\0')) throw refuse('it contains a NUL character');
  if (relativePath.includes('\\')) throw refuse('it contains a backslash; use / between folders');
  if (relativePath.startsWith('/') || isAbsolute(relativePath) || /^[A-Za-z]:/.test(relativePath)) throw refuse('it is absolute');
  const segments = relativePath.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw refuse('it has an empty, "." or ".." part');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw refuse('a name in it is longer than 255 bytes');
  }
  return segments;
}

export class StagingArea {
  readonly root: string;

  constructor(home: string) {
    this.root = resolve(stagingRoot(home)); // absolute, to compare with the journal's source paths
  }

  batchFolder(batch: string): string {
    const parsed = StagingBatchId.safeParse(batch);
    if (!parsed.success) throw new TierdropError('invalid_input', `"${batch}" is not a staging batch id.`);
    return join(this.root, parsed.data);
  }

  pathOf(batch: string, relativePath: string): string {
    return join(this.batchFolder(batch), ...safeRelativeSegments(relativePath));
  }

  contains(path: string): boolean {
    const inner = relative(this.root, path);
    return inner !== '' && !inner.startsWith('..') && !isAbsolute(inner);
  }

  /**
   * Streams `body` into the batch at `relativePath`. Exactly `sizeBytes` must arrive: anything
   * else (a dropped connection, a short or long body) leaves nothing behind.
   */
  async receive(batch: string, relativePath: string, sizeBytes: number, body: Readable): Promise<string> {
    const finalPath = this.pathOf(batch, relativePath);
    const incoming = join(this.root, INCOMING_FOLDER);
    const partialPath = join(incoming, randomUUID());
    try {
      await mkdir(incoming, { recursive: true });
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          received += chunk.length;
          if (received > sizeBytes) done(new TierdropError('invalid_input', `More than the announced ${sizeBytes} bytes arrived for ${relativePath}.`));
          else done(null, chunk);
        },
      });
      await pipeline(body, counter, createWriteStream(partialPath, { mode: 0o600 }));
      if (received !== sizeBytes) {
        throw new TierdropError('invalid_input', `Only ${received} of ${sizeBytes} bytes arrived for ${relativePath}.`, {
          retryable: true,
          hint: 'The connection may have dropped; drop the file again.',
        });
      }
      await mkdir(join(finalPath, '..'), { recursive: true });
      await rename(partialPath, finalPath);
      return finalPath;
    } catch (error) {
      await rm(partialPath, { force: true });
      if (error instanceof TierdropError) throw error;
      if (body.destroyed || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        throw new TierdropError('invalid_input', `The upload of ${relativePath} stopped before it was complete.`, { retryable: true });
      }
      throw localWriteError(finalPath, error);
    }
  }

  /** What was dropped in a batch: its top-level files and folders. */
  async topLevel(batch: string): Promise<string[]> {
    const folder = this.batchFolder(batch);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw localWriteError(folder, error);
    }
    return names.sort().map((name) => join(folder, name));
  }

  /** Deletes a staged file and the folders it leaves empty, up to the staging root. */
  async remove(path: string): Promise<void> {
    if (!this.contains(path)) return;
    await rm(path, { force: true });
    let folder = join(path, '..');
    while (this.contains(folder)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty (or already gone): its other files are still staged
      }
      folder = join(folder, '..');
    }
  }

  /** Deletes every staged file no unfinished upload needs, and every half-received file. */
  async sweep(needed: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    await rm(join(this.root, INCOMING_FOLDER), { recursive: true, force: true });
    for (const path of await filesUnder(this.root)) {
      if (needed.has(path)) continue;
      await this.remove(path);
      removed += 1;
    }
    return removed;
  }
}

async function filesUnder(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = `${folder}${sep}${entry.name}`;
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else files.push(path);
  }
  return files;
}
