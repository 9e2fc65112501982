// Credentials at rest: encrypted per entry by the keychain (a stand-in cipher here), never in
// clear, owner-only, refused when there is no keychain, and a damaged file set aside.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCredentials, encodeCredentials, type Cipher } from '../../electron/credentials-format.js';
import { credentialsPath, readCredentials, writeCredentials } from '../../electron/credentials-store.js';
import { tempDir } from '../support/files.js';

/** Reversible and obviously not plain text; stands in for safeStorage. */
const fakeKeychain: Cipher = {
  isEncryptionAvailable: () => true,
  encryptString: (text) => Buffer.from(`sealed:${Buffer.from(text).toString('hex').split('').reverse().join('')}`),
  decryptString: (sealed) => {
    const text = sealed.toString();
    if (!text.startsWith('sealed:')) throw new Error('not sealed by this keychain');
    return Buffer.from(text.slice('sealed:'.length).split('').reverse().join(''), 'hex').toString();
  },
};
const noKeychain: Cipher = { ...fakeKeychain, isEncryptionAvailable: () => false };
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

let home: ReturnType<typeof tempDir>;
beforeEach(() => {
  home = tempDir('credentials');
});
afterEach(() => home.cleanup());

describe('the credentials file', () => {
  it('round-trips through the keychain and never holds a secret in clear', () => {
    const entries = new Map([['default', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET }]]);
    writeCredentials(home.path, entries, fakeKeychain);
    const onDisk = readFileSync(credentialsPath(home.path), 'utf8');
    expect(onDisk).not.toContain(SECRET);
    expect(onDisk).not.toContain('AKIDEXAMPLE');
    expect(statSync(credentialsPath(home.path)).mode & 0o777).toBe(0o600);
    expect(readCredentials(home.path, fakeKeychain).entries.get('default')).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET });
  });

  it('refuses to save without a keychain rather than write secrets in clear', () => {
    expect(() => writeCredentials(home.path, new Map([['default', { accessKeyId: 'A', secretAccessKey: SECRET }]]), noKeychain)).toThrow(/keychain/);
    expect(existsSync(credentialsPath(home.path))).toBe(false);
  });

  it('reports entries another keychain sealed instead of failing them all', () => {
    const text = encodeCredentials(new Map([['mine', { accessKeyId: 'A', secretAccessKey: 'B' }]]), fakeKeychain);
    const tampered = JSON.parse(text) as { entries: Record<string, string> };
    tampered.entries['theirs'] = Buffer.from('sealed-elsewhere').toString('base64');
    const decoded = decodeCredentials(JSON.stringify({ ...tampered }), fakeKeychain);
    expect([...decoded.entries.keys()]).toEqual(['mine']);
    expect(decoded.unreadable).toEqual(['theirs']);
  });

  it('sets a damaged file aside and says what to do', () => {
    writeFileSync(credentialsPath(home.path), '{"format":"something-else"}');
    expect(() => readCredentials(home.path, fakeKeychain)).toThrow(/could not be read/);
    expect(existsSync(credentialsPath(home.path))).toBe(false);
    expect(readdirSync(home.path).some((name) => name.startsWith('credentials.enc.damaged-'))).toBe(true);
    expect(readCredentials(home.path, fakeKeychain).entries.size).toBe(0);
  });
});
