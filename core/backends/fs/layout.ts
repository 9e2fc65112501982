// Where things live inside a local destination folder: objects as plain files at `<root>/<key>`,
// Tierdrop's own state (temp files, multipart uploads, locks, metadata) under `<root>/.tierdrop/`.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TierdropError } from '../../errors/index.js';
import { printable, validateKey } from '../keys.js';

export const STATE_DIR_NAME = '.tierdrop';

/** Characters Windows refuses in file names. */
const WINDOWS_RESERVED = /[<>:"|?*\\\u0001-\u001f]/;

export class FsLayout {
  readonly stateDir: string;
  readonly tmpDir: string;
  readonly uploadsDir: string;
  readonly locksDir: string;
  readonly metaDir: string;

  constructor(readonly root: string) {
    this.stateDir = join(root, STATE_DIR_NAME);
    this.tmpDir = join(this.stateDir, 'tmp');
    this.uploadsDir = join(this.stateDir, 'uploads');
    this.locksDir = join(this.stateDir, 'locks');
    this.metaDir = join(this.stateDir, 'meta');
  }

  objectPath(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  uploadDir(uploadId: string): string {
    return join(this.uploadsDir, uploadId);
  }

  lockPath(key: string): string {
    return join(this.locksDir, `${keyHash(key)}.lock`);
  }

  /** One flat, hashed file per key, so no key's folders can collide with another key's metadata. */
  metadataPath(key: string): string {
    const hash = keyHash(key);
    return join(this.metaDir, hash.slice(0, 2), `${hash}.json`);
  }
}

/** True for the root entry that holds Tierdrop's state (case-insensitive file systems alias it). */
export function isStateDirName(name: string): boolean {
  return name.toLowerCase() === STATE_DIR_NAME;
}

/** The general key rules, plus what a local folder cannot hold. */
export function validateFsKey(key: string, operation: string, platform: NodeJS.Platform = process.platform): void {
  validateKey(key, operation);
  const first = key.split('/')[0] ?? '';
  if (isStateDirName(first)) {
    throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": keys under ${STATE_DIR_NAME}/ are reserved for Tierdrop's own state.`, {
      hint: `Rename the folder ${STATE_DIR_NAME}.`,
    });
  }
  if (platform === 'win32' && WINDOWS_RESERVED.test(key)) {
    throw new TierdropError('invalid_input', `Cannot ${operation} "${printable(key)}": Windows does not allow < > : " | ? * \\ in file names.`, {
      hint: 'Rename the file.',
    });
  }
}

function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
