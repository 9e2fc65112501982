// Credentials on disk, in the home folder: owner-only, replaced atomically, encrypted per entry.
// Only the main process reads them; nothing here is ever sent to the window.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CredentialPersistence } from '../core/host/credentials-vault.js';
import { toErrorInfo } from '../core/errors/index.js';
import { decodeCredentials, encodeCredentials, type Cipher, type DecodedCredentials, type StoreCredentials } from './credentials-format.js';

export function credentialsPath(home: string): string {
  return join(home, 'credentials.enc');
}

export function readCredentials(home: string, cipher: Cipher): DecodedCredentials {
  const path = credentialsPath(home);
  if (!existsSync(path)) return { entries: new Map(), unreadable: [] };
  try {
    return decodeCredentials(readFileSync(path, 'utf8'), cipher);
  } catch (error) {
    renameSync(path, `${path}.damaged-${Date.now()}`);
    throw error;
  }
}

export function writeCredentials(home: string, entries: ReadonlyMap<string, StoreCredentials>, cipher: Cipher): void {
  const path = credentialsPath(home);
  const text = encodeCredentials(entries, cipher);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The app's place for entered credentials: this file, each entry sealed by the OS keychain. */
export function keychainPersistence(home: string, cipher: Cipher): CredentialPersistence {
  return {
    read: () => {
      try {
        const decoded = readCredentials(home, cipher);
        const warning =
          decoded.unreadable.length === 0 ? null : `The keychain could not open the credentials of ${decoded.unreadable.length} destination(s); enter them again in Settings.`;
        return { entries: decoded.entries, warning };
      } catch (error) {
        return { entries: new Map(), warning: toErrorInfo(error).message };
      }
    },
    write: (entries) => writeCredentials(home, entries, cipher),
  };
}
