// Decodes S3's aws-chunked content encoding while it streams: `hex-size[;chunk-signature=…]\r\n`,
// data, `\r\n`, …, a zero chunk, then trailing headers (the SDK's checksum) and an empty line.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.js';
import type { ChunkSigning } from './sigv4.js';

const MAX_LINE_BYTES = 4096; // chunk headers and trailer lines are short; more means garbage
const CR = 0x0d;
const LF = 0x0a;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailing headers by lowercase name; complete once the stream has ended. */
  readonly trailers = new Map<string, string>();

  private state: State = 'size';
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  /** Data bytes left in the current chunk, or bytes of its closing CRLF left. */
  private remaining = 0;
  private chunkSignature: string | null = null;
  private chunkHash: Hash | null = null;
  private canonicalTrailer = '';
  private trailerSignature: string | null = null;

  /** `signing` checks chunk and trailer signatures of a signed body; null for unsigned bodies. */
  constructor(private readonly signing: ChunkSigning | null) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'done') callback();
    else callback(new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.'));
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - offset);
          const piece = chunk.subarray(offset, offset + take);
          this.chunkHash?.update(piece);
          this.push(piece);
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = 'data-end';
            this.remaining = 2;
          }
          break;
        }
        case 'data-end': {
          const expected = this.remaining === 2 ? CR : LF;
          if (chunk[offset] !== expected) throw malformed('a chunk is longer than its declared size');
          offset += 1;
          this.remaining -= 1;
          if (this.remaining === 0) {
            this.verifyChunk();
            this.state = 'size';
          }
          break;
        }
        case 'done':
          // Whatever follows the final empty line carries nothing; S3 ignores it too.
          return;
        default: {
          const newline = chunk.indexOf(LF, offset);
          const end = newline < 0 ? chunk.length : newline + 1;
          this.appendLine(chunk.subarray(offset, end));
          offset = end;
          if (newline >= 0) this.onLine(this.takeLine());
        }
      }
    }
  }

  private appendLine(piece: Buffer): void {
    this.lineBytes += piece.length;
    if (this.lineBytes > MAX_LINE_BYTES) throw malformed('a chunk header or trailer line is too long');
    this.lineParts.push(piece);
  }

  private takeLine(): string {
    const line = Buffer.concat(this.lineParts, this.lineBytes).toString('latin1');
    this.lineParts = [];
    this.lineBytes = 0;
    if (!line.endsWith('\r\n')) throw malformed('a line does not end with CRLF');
    return line.slice(0, -2);
  }

  private onLine(line: string): void {
    if (this.state === 'size') this.onChunkHeader(line);
    else this.onTrailerLine(line);
  }

  private onChunkHeader(line: string): void {
    const [sizeHex = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeHex.trim())) throw malformed(`bad chunk size "${sizeHex}"`);
    const sizeBytes = Number.parseInt(sizeHex.trim(), 16);
    this.chunkSignature = null;
    for (const extension of extensions) {
      const [name, value] = extension.split('=');
      if (name?.trim() === 'chunk-signature' && value !== undefined) this.chunkSignature = value.trim();
    }
    this.chunkHash = this.signing === null ? null : createHash('sha256');
    if (sizeBytes === 0) {
      this.verifyChunk();
      this.state = 'trailer';
    } else {
      this.state = 'data';
      this.remaining = sizeBytes;
    }
  }

  private verifyChunk(): void {
    if (this.signing === null || this.chunkHash === null) return;
    this.signing.verifyChunk(this.chunkSignature, this.chunkHash.digest('hex'));
    this.chunkHash = null;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      if (this.signing !== null && (this.trailers.size > 0 || this.trailerSignature !== null)) {
        this.signing.verifyTrailer(this.trailerSignature, this.canonicalTrailer);
      }
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new S3Error('MalformedTrailerError');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) {
      this.trailerSignature = value;
    } else {
      this.trailers.set(name, value);
      this.canonicalTrailer += `${name}:${value}\n`;
    }
  }
}

function malformed(detail: string): S3Error {
  return new S3Error('IncompleteBody', `Malformed aws-chunked body: ${detail}.`);
}
