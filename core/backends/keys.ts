// Object keys: the rules every backend enforces on the keys it is given, and the one way an OS
// path relative to a source folder becomes a key ('/' separators, NFC, under a destination prefix).
import { sep as osSeparator } from 'node:path';
import { TierdropError } from '../errors/index.js';

const MAX_KEY_BYTES = 1024; // S3's limit on a key's UTF-8 length

/** Why `key` is not a usable object key, or null when it is. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return 'it is empty';
  if (key.includes('\0')) return 'it contains a NUL character';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'it starts with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty path segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `it has a "${segment}" path segment`;
  }
  return null;
}

/** Throws `invalid_input` unless `key` is a usable object key. */
export function validateKey(key: string, operation: string): void {
  const problem = keyProblem(key);
  if (problem !== null) {
    throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": the key is invalid because ${problem}.`, {
      hint: 'Use a relative path with "/" between folder names.',
    });
  }
}

/** Throws `invalid_input` unless `prefix` is '' or a valid key followed by '/'. */
export function validatePrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = prefix.endsWith('/') ? keyProblem(prefix.slice(0, -1)) : 'it does not end with "/"';
  if (problem !== null) {
    throw new TierdropError('invalid_input', `The destination prefix "${printable(prefix)}" is invalid because ${problem}.`);
  }
}

/**
 * Turns `relativePath` (an OS path relative to a source folder) into a key under `prefix`.
 * Both '/' and the OS separator split folders; names are NFC so a file keeps one key whichever
 * OS uploaded it (macOS hands out decomposed names).
 */
export function joinKey(prefix: string, relativePath: string, separator: string = osSeparator): string {
  validatePrefix(prefix);
  const segments = relativePath.split(separator === '/' ? '/' : /[/\\]/);
  const key = prefix + segments.join('/').normalize('NFC');
  validateKey(key, 'use the path');
  return key;
}

/** Makes control characters visible in messages. */
export function printable(key: string): string {
  return key.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
