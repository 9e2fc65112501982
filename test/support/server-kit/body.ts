// Taking in a request body the way both test servers do: at the throttled rate, cut short by a
// reset fault, timed out when the client goes quiet, and failed when the connection drops mid-body.
import type { IncomingMessage } from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConnectionGone } from './errors.js';
import type { ByteThrottle } from './throttle.js';

export interface IntakeOptions {
  throttle: ByteThrottle;
  idleTimeoutMs: number;
  /** Fault: cut the connection once this many raw body bytes have been read. */
  cutAfterBytes?: number;
  /** What a body that sends nothing for `idleTimeoutMs` fails with: each server's own timeout error. */
  idleError: () => Error;
}

/**
 * Streams `req` through `stages` (the last one is the sink) behind an Intake. Rejects with the
 * first stage's error, or ConnectionGone when the client closed the connection before the end.
 */
export async function streamBody(req: IncomingMessage, options: IntakeOptions, stages: readonly (Transform | Writable)[]): Promise<void> {
  const intake = new Intake(options, () => req.socket.destroy());
  // Not `req.complete`: a body fully sent but not yet read is lost too when the connection drops.
  const onClose = (): void => {
    if (!req.readableEnded) intake.destroy(new ConnectionGone('the client closed the connection mid-body'));
  };
  req.once('close', onClose);
  req.pipe(intake);
  try {
    await pipeline([intake, ...stages]);
  } catch (error) {
    req.unpipe(intake);
    throw error;
  } finally {
    req.off('close', onClose);
  }
}

/** A sink that keeps nothing (bodies read only to be cut, refused or counted), counting what it gets. */
export function discardSink(onBytes?: (bytes: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onBytes?.(chunk.length);
      callback();
    },
  });
}

/**
 * Reads and drops what is left of a body, so an error answer reaches a client that is still
 * sending (answering first would make it see EPIPE instead). Gives up after `timeoutMs`.
 */
export async function drainRequest(req: IncomingMessage, timeoutMs: number): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      req.off('end', finish);
      req.off('close', finish);
      resolve();
    }
    req.on('end', finish);
    req.on('close', finish);
    req.resume();
  });
}

/** First stage: raw bytes at the throttled rate; cuts the connection on a reset fault; idle timeout. */
class Intake extends Transform {
  private rawBytes = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: IntakeOptions,
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
    const { throttle, cutAfterBytes } = this.options;
    let offset = 0;
    while (offset < chunk.length) {
      let sliceBytes = Math.min(chunk.length - offset, throttle.sliceBytes());
      if (cutAfterBytes !== undefined) sliceBytes = Math.min(sliceBytes, cutAfterBytes - this.rawBytes);
      if (sliceBytes > 0) {
        await throttle.take(sliceBytes);
        if (this.destroyed) return;
        this.push(chunk.subarray(offset, offset + sliceBytes));
        offset += sliceBytes;
        this.rawBytes += sliceBytes;
      }
      if (cutAfterBytes !== undefined && this.rawBytes >= cutAfterBytes) {
        this.cutConnection();
        throw new ConnectionGone('fault injection: connection reset mid-body');
      }
    }
  }

  private armIdleTimer(): void {
    this.idleTimer = setTimeout(() => this.destroy(this.options.idleError()), this.options.idleTimeoutMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
