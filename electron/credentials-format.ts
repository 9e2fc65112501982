// The credentials file: store secrets per destination, each encrypted by the OS keychain
// (Electron's safeStorage) and never written in clear. The format is validated when read back.
import { z } from 'zod';
import { DestinationCredentials } from '../core/contract/index.js';
import { TierdropError } from '../core/errors/index.js';

/**
 * One destination's credentials, as the contract declares them. Entries written before GCS keys
 * could be entered carry no kind: they are S3 keys.
 */
export const StoreCredentials = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('kind' in value) ? { ...value, kind: 's3' } : value),
  DestinationCredentials,
);
export type StoreCredentials = DestinationCredentials;

const CredentialsFile = z.object({
  format: z.literal('tierdrop-credentials'),
  version: z.literal(1),
  /** destination id → base64 of the encrypted JSON of its credentials */
  entries: z.record(z.string().min(1), z.string()),
});

/** What safeStorage offers, so the format is tested with a stand-in cipher. */
export interface Cipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export function encodeCredentials(entries: ReadonlyMap<string, StoreCredentials>, cipher: Cipher): string {
  if (!cipher.isEncryptionAvailable()) {
    throw new TierdropError('access_denied', 'This system offers no keychain to encrypt credentials with, so they were not saved.', {
      hint: 'Unlock or install the system keychain (on Linux: gnome-keyring or kwallet), or use environment credentials.',
    });
  }
  const encoded: Record<string, string> = {};
  for (const [destinationId, credentials] of entries) {
    encoded[destinationId] = cipher.encryptString(JSON.stringify(StoreCredentials.parse(credentials))).toString('base64');
  }
  return `${JSON.stringify({ format: 'tierdrop-credentials', version: 1, entries: encoded }, null, 2)}\n`;
}

export interface DecodedCredentials {
  entries: Map<string, StoreCredentials>;
  /** Destinations whose entry could not be decrypted or read (another user's keychain, damage). */
  unreadable: string[];
}

export function decodeCredentials(text: string, cipher: Cipher): DecodedCredentials {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged('it is not JSON');
  }
  const file = CredentialsFile.safeParse(raw);
  if (!file.success) throw damaged(file.error.issues[0]?.message ?? 'unknown format');
  const entries = new Map<string, StoreCredentials>();
  const unreadable: string[] = [];
  for (const [destinationId, encrypted] of Object.entries(file.data.entries)) {
    try {
      const parsed = StoreCredentials.safeParse(JSON.parse(cipher.decryptString(Buffer.from(encrypted, 'base64'))));
      if (parsed.success) entries.set(destinationId, parsed.data);
      else unreadable.push(destinationId);
    } catch {
      unreadable.push(destinationId);
    }
  }
  return { entries, unreadable };
}

function damaged(why: string): TierdropError {
  return new TierdropError('invalid_input', `The credentials file could not be read (${why}).`, {
    hint: 'Enter the credentials of your destinations again; the old file is kept aside.',
  });
}
