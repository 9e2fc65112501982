// The data folder both test servers keep (tmp/ for bodies being received, buckets/ for the rest),
// and blob files that outlive an overwrite or a delete until the last reader of them is done.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { removeQuietly } from './disk.js';

const READ_CHUNK_BYTES = 1024 * 1024; // large reads keep downloads bounded by the disk, not by syscalls

export interface DataFolder {
  /** Bodies being received; emptied at every start. */
  tmpDir: string;
  bucketsDir: string;
  /** The folder of every bucket found at start. */
  bucketDirs: string[];
  /** A fresh path in tmp/ for a body being received. */
  tempFile(): string;
}

/** Prepares `dataDir`: an empty tmp/, a buckets/ folder, and the buckets already in it. */
export async function openDataFolder(dataDir: string): Promise<DataFolder> {
  const tmpDir = join(dataDir, 'tmp');
  const bucketsDir = join(dataDir, 'buckets');
  await removeQuietly(tmpDir);
  await mkdir(tmpDir, { recursive: true });
  await mkdir(bucketsDir, { recursive: true });
  const entries = await readdir(bucketsDir, { withFileTypes: true });
  return {
    tmpDir,
    bucketsDir,
    bucketDirs: entries.filter((entry) => entry.isDirectory()).map((entry) => join(bucketsDir, entry.name)),
    tempFile: () => join(tmpDir, randomUUID()),
  };
}

/** A byte range of one piece of an object: a blob file, or bytes kept in the object's record. */
export interface BlobPiece {
  source: string | Buffer;
  start: number;
  /** Exclusive. */
  end: number;
}

export class BlobReaders {
  /** Open readers per blob path. */
  private readonly readers = new Map<string, number>();
  /** Blobs discarded while being read: removed when their last reader finishes. */
  private readonly doomed = new Set<string>();

  /** The pieces one after another; the blobs they name stay on disk until the stream closes. */
  read(pieces: readonly BlobPiece[]): Readable {
    const paths = pieces.flatMap((piece) => (typeof piece.source === 'string' ? [piece.source] : []));
    for (const path of paths) this.readers.set(path, (this.readers.get(path) ?? 0) + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const path of paths) this.release(path);
    };
    async function* chunks(): AsyncGenerator<Buffer> {
      for (const { source, start, end } of pieces) {
        if (typeof source !== 'string') {
          yield source.subarray(start, end);
          continue;
        }
        const file = createReadStream(source, { start, end: end - 1, highWaterMark: READ_CHUNK_BYTES });
        for await (const chunk of file) if (Buffer.isBuffer(chunk)) yield chunk;
      }
    }
    const stream = Readable.from(chunks(), { objectMode: false });
    // 'close' comes after the end, after an error and after destroy (even before the first read).
    stream.once('close', release);
    return stream;
  }

  /** Removes a blob nothing will name again, now or once nobody reads it. */
  discard(path: string): void {
    if (this.readers.has(path)) this.doomed.add(path);
    else void removeQuietly(path);
  }

  private release(path: string): void {
    const count = (this.readers.get(path) ?? 1) - 1;
    if (count > 0) {
      this.readers.set(path, count);
      return;
    }
    this.readers.delete(path);
    if (this.doomed.delete(path)) void removeQuietly(path);
  }
}
