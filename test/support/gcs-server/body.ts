// Receives one upload body while it streams: throttled and maybe cut (faults), idle-timed, counted,
// hashed (MD5 and CRC32C, as GCS records both), and written to a file. Nothing is held whole.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { removeQuietly, streamBody, type ByteThrottle, type IntakeOptions } from '../server-kit/index.js';
import { Crc32c } from './crc32c.js';
import { GcsError } from './errors.js';

export interface BodyHooks {
  throttle: ByteThrottle;
  idleTimeoutMs: number;
  /** Called with the size of each payload piece as it arrives. */
  onBytes?: (bytes: number) => void;
  /** Fault: cut the connection once this many raw body bytes have been read. */
  cutAfterBytes?: number;
}

export interface ReceivedBody {
  sizeBytes: number;
  md5: Buffer;
  crc32c: number;
}

const WRITE_BUFFER_BYTES = 1024 * 1024; // fewer, larger writes

/**
 * Streams `req` through `stages` (e.g. a multipart splitter) into `path`. The file is removed
 * unless the whole body arrived; rejects with GcsError or ConnectionGone.
 */
export async function receiveToFile(req: IncomingMessage, path: string, hooks: BodyHooks, stages: Transform[] = []): Promise<ReceivedBody> {
  const digest = new Digest(hooks.onBytes);
  try {
    await streamBody(req, intakeOptions(hooks), [...stages, digest, createWriteStream(path, { highWaterMark: WRITE_BUFFER_BYTES })]);
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
  return { sizeBytes: digest.sizeBytes, md5: digest.md5.digest(), crc32c: digest.crc.digest() };
}

/** The shared intake with this server's idle timeout answer. */
export function intakeOptions(hooks: BodyHooks): IntakeOptions {
  return {
    throttle: hooks.throttle,
    idleTimeoutMs: hooks.idleTimeoutMs,
    ...(hooks.cutAfterBytes === undefined ? {} : { cutAfterBytes: hooks.cutAfterBytes }),
    idleError: () => new GcsError(408, 'requestTimeout', 'The client did not send data in time.', true),
  };
}

/** Reads a small body (JSON) into memory, refusing more than `maxBytes`. */
export async function receiveSmall(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += piece.length;
    if (total > maxBytes) throw new GcsError(413, 'uploadTooLarge', 'The request body is too large.', true);
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

/** Last stage before the file: counts and hashes the payload. */
class Digest extends Transform {
  sizeBytes = 0;
  readonly md5 = createHash('md5');
  readonly crc = new Crc32c();

  constructor(private readonly onBytes: ((bytes: number) => void) | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }
}
