// Reading a file small enough to go in one request: open, read, fstat of the same descriptor, close.
// With fs callbacks this costs about a third of the CPU of readFile + stat through promises, which
// counts when thousands of small files are sent (DESIGN.md §5).
import { close, fstat, open, read } from 'node:fs';
import type { Fingerprint } from './source.js';

export interface WholeFile {
  bytes: Buffer;
  /** Of the descriptor the bytes came from, taken after reading them. */
  fingerprint: Fingerprint;
}

/**
 * Reads up to `expectedBytes + 1` bytes (one more shows that the file grew) and fingerprints the
 * file after the read, so a caller comparing it with the planned fingerprint never sends bytes of a
 * file that changed meanwhile. Rejects with Node's own error (ENOENT, EACCES, EISDIR…).
 */
export function readWholeFile(path: string, expectedBytes: number, signal: AbortSignal): Promise<WholeFile> {
  return new Promise<WholeFile>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    open(path, 'r', (openError, fd) => {
      if (openError !== null) {
        reject(openError);
        return;
      }
      const finish = (error: unknown, result: WholeFile | null): void => {
        close(fd, () => {
          if (result !== null) resolve(result);
          else reject(error);
        });
      };
      const buffer = Buffer.allocUnsafe(expectedBytes + 1);
      const readFrom = (offset: number): void => {
        read(fd, buffer, offset, buffer.length - offset, offset, (readError, bytesRead) => {
          if (readError !== null) return finish(readError, null);
          if (signal.aborted) return finish(signal.reason, null);
          const total = offset + bytesRead;
          if (bytesRead > 0 && total < buffer.length) return readFrom(total);
          fstat(fd, { bigint: true }, (statError, info) => {
            if (statError !== null) return finish(statError, null);
            const fingerprint = { sizeBytes: Number(info.size), mtimeMs: Number(info.mtimeNs) / 1e6, inode: info.ino.toString() };
            finish(null, { bytes: buffer.subarray(0, total), fingerprint });
          });
        });
      };
      readFrom(0);
    });
  });
}
