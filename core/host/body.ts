// Reading a JSON request body with a size limit, so a page cannot make the host buffer gigabytes.
import type { IncomingMessage } from 'node:http';

export const MAX_JSON_BODY_BYTES = 1024 * 1024; // the largest command (10,000 paths) fits well within

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

export async function readJsonBody(request: IncomingMessage, limitBytes = MAX_JSON_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limitBytes) return tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limitBytes) return tooLarge(limitBytes);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, status: 400, message: `The request body is not JSON: ${(error as Error).message}` };
  }
}

function tooLarge(limitBytes: number): BodyResult {
  return { ok: false, status: 413, message: `The request body is larger than ${limitBytes} bytes.` };
}
