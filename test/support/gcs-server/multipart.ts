// A streaming reader of `multipart/related` upload bodies (uploadType=multipart): the first part is
// the object's JSON metadata, the second its data. The head is parsed in memory (bounded); the data
// streams through, holding back just enough bytes to find and check the closing boundary.
import { Transform, type TransformCallback } from 'node:stream';
import { invalid } from './errors.js';

const MAX_HEAD_BYTES = 1024 * 1024; // metadata and part headers; GCS caps metadata well below this

export interface MultipartHead {
  metadata: unknown;
  /** The Content-Type of the data part. */
  contentType: string | null;
}

export function boundaryOf(contentType: string | undefined): string {
  const match = /^multipart\/related\s*;(.*)$/i.exec(contentType ?? '');
  const boundary = match === null ? undefined : /boundary="?([^";]+)"?/i.exec(match[1] ?? '')?.[1];
  if (boundary === undefined) throw invalid('A multipart upload needs Content-Type: multipart/related; boundary=…');
  return boundary;
}

export class MultipartSplitter extends Transform {
  private head: Buffer | null = Buffer.alloc(0);
  private held: Buffer = Buffer.alloc(0);
  private readonly closing: Buffer;
  parsedHead: MultipartHead | null = null;

  constructor(
    private readonly boundary: string,
    private readonly onHead: (head: MultipartHead) => void,
  ) {
    super();
    this.closing = Buffer.from(`\r\n--${boundary}--`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.head !== null) {
        this.head = Buffer.concat([this.head, chunk]);
        const parsed = this.tryParseHead(this.head);
        if (parsed === null) {
          if (this.head.length > MAX_HEAD_BYTES) throw invalid('The multipart metadata part is too large or malformed.');
          callback();
          return;
        }
        const rest = this.head.subarray(parsed.dataStart);
        this.head = null;
        this.parsedHead = parsed.head;
        this.onHead(parsed.head);
        this.passData(rest);
      } else {
        this.passData(chunk);
      }
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.head !== null) {
      callback(invalid('The multipart body ended before its data part.'));
      return;
    }
    // What is held back must be the closing boundary, maybe followed by a line break.
    const tail = this.held.toString('latin1').replace(/\s+$/, '');
    const closing = this.closing.toString('latin1');
    if (!tail.endsWith(closing)) {
      callback(invalid('The multipart body does not end with its closing boundary.'));
      return;
    }
    const dataBytes = tail.length - closing.length; // latin1: one character per byte
    if (dataBytes > 0) this.push(this.held.subarray(0, dataBytes));
    callback();
  }

  /** Passes data on, keeping the last bytes that could be (part of) the closing boundary. */
  private passData(bytes: Buffer): void {
    const keep = this.closing.length + 4; // the boundary plus a trailing CRLF and some slack
    const all = this.held.length === 0 ? bytes : Buffer.concat([this.held, bytes]);
    if (all.length <= keep) {
      this.held = all;
      return;
    }
    this.push(all.subarray(0, all.length - keep));
    this.held = Buffer.from(all.subarray(all.length - keep));
  }

  private tryParseHead(buffer: Buffer): { head: MultipartHead; dataStart: number } | null {
    const delimiter = `--${this.boundary}`;
    const text = buffer.toString('latin1');
    const first = text.indexOf(delimiter);
    if (first < 0) return null;
    const metaHeadersEnd = text.indexOf('\r\n\r\n', first);
    if (metaHeadersEnd < 0) return null;
    const second = text.indexOf(`\r\n${delimiter}`, metaHeadersEnd + 4);
    if (second < 0) return null;
    const dataHeadersEnd = text.indexOf('\r\n\r\n', second + 2);
    if (dataHeadersEnd < 0) return null;
    const metaHeaders = text.slice(first + delimiter.length, metaHeadersEnd);
    if (!/content-type:\s*application\/json/i.test(metaHeaders)) throw invalid('The first part of a multipart upload must be application/json metadata.');
    const jsonText = buffer.subarray(metaHeadersEnd + 4, second).toString('utf8');
    let metadata: unknown;
    try {
      metadata = jsonText.trim() === '' ? {} : JSON.parse(jsonText);
    } catch {
      throw invalid('The metadata part of a multipart upload is not JSON.');
    }
    const dataHeaders = text.slice(second + 2 + delimiter.length, dataHeadersEnd);
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(dataHeaders)?.[1]?.trim() ?? null;
    return { head: { metadata, contentType }, dataStart: dataHeadersEnd + 4 };
  }
}
