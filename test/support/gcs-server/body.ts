// Receives one upload body while it streams: throttled and maybe cut (faults), idle-timed, counted,
// hashed (MD5 and CRC32C, as GCS records both), and written to a file. Nothing is held whole.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc32c } from './crc32c.js';
import { removeQuietly } from './disk.js';
import { ConnectionGone, GcsError } from './errors.js';
import type { ByteThrottle } from './throttle.js';

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
  const intake = new Intake(hooks, () => req.socket.destroy());
  const digest = new Digest(hooks.onBytes);
  // Not `req.complete`: a body fully sent but not yet read is lost too when the connection drops.
  const onClose = (): void => {
    if (!req.readableEnded) intake.destroy(new ConnectionGone('the client closed the connection mid-body'));
  };
  req.once('close', onClose);
  req.pipe(intake);
  try {
    await pipeline([intake, ...stages, digest, createWriteStream(path, { highWaterMark: WRITE_BUFFER_BYTES })]);
  } catch (error) {
    req.unpipe(intake);
    await removeQuietly(path);
    throw error;
  } finally {
    req.off('close', onClose);
  }
  return { sizeBytes: digest.sizeBytes, md5: digest.md5.digest(), crc32c: digest.crc.digest() };
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

/** Reads a body for nothing, so an error answer reaches a client still sending; gives up after `timeoutMs`. */
export async function drainRequest(req: IncomingMessage, timeoutMs: number): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      req.off('end', done);
      req.off('close', done);
      resolve();
    }
    req.on('end', done);
    req.on('close', done);
    req.resume();
  });
}

/** A sink that keeps nothing (bodies read only to be cut or refused), counting what it is given. */
export function discardSink(onBytes?: (bytes: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onBytes?.(chunk.length);
      callback();
    },
  });
}

/** First stage: raw bytes at the throttled rate; cuts the connection on a reset fault; idle timeout. */
export class Intake extends Transform {
  private rawBytes = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hooks: BodyHooks,
    private readonly cutConnection: () => void,
  ) {
    super();
    this.armIdleTimer();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.clearIdleTimer();
    this.pass(chunk).then(
      () => {
        this.armIdleTimer();
        callback();
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.clearIdleTimer();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearIdleTimer();
    callback(error);
  }

  private async pass(chunk: Buffer): Promise<void> {
    const cutAt = this.hooks.cutAfterBytes;
    let offset = 0;
    while (offset < chunk.length) {
      let take = Math.min(chunk.length - offset, this.hooks.throttle.sliceBytes());
      if (cutAt !== undefined) take = Math.min(take, cutAt - this.rawBytes);
      if (take > 0) {
        await this.hooks.throttle.take(take);
        if (this.destroyed) return;
        this.push(chunk.subarray(offset, offset + take));
        offset += take;
        this.rawBytes += take;
      }
      if (cutAt !== undefined && this.rawBytes >= cutAt) {
        this.cutConnection();
        throw new ConnectionGone('fault injection: connection reset mid-body');
      }
    }
  }

  private armIdleTimer(): void {
    this.idleTimer = setTimeout(() => {
      this.destroy(new GcsError(408, 'requestTimeout', 'The client did not send data in time.', true));
    }, this.hooks.idleTimeoutMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
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
