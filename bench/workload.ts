// Source files for the cases: random bytes (nothing compresses or deduplicates), written once per
// case and read by every tool from the page cache alike.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { writeRandomFile } from '../test/support/files.js';

const FILES_PER_FOLDER = 100; // a tree like a photo library's, not one folder of 10,000 names

export function makeFile(path: string, sizeBytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeRandomFile(path, sizeBytes);
}

/** `count` files of `sizeBytes` each under `root`, 100 to a folder; returns their relative paths. */
export function makeFolder(root: string, count: number, sizeBytes: number): string[] {
  const paths: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const relative = join(`d${String(Math.floor(index / FILES_PER_FOLDER)).padStart(3, '0')}`, `f${String(index).padStart(5, '0')}.bin`);
    const path = join(root, relative);
    if (index % FILES_PER_FOLDER === 0) mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(sizeBytes));
    paths.push(relative);
  }
  return paths;
}
