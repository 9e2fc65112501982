// Credentials at rest: encrypted per entry by the keychain (a stand-in cipher here), never in
// clear, owner-only, refused when there is no keychain, and a damaged file set aside.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCredentials, encodeCredentials, type Cipher } from '../../electron/credentials-format.js';
import { credentialsPath, keychainPersistence, readCredentials, writeCredentials } from '../../electron/credentials-store.js';
import { parseCommandMessage } from '../../electron/ipc-validation.js';
import { Commands, type Destination } from '../../core/contract/index.js';
import { parseStoreUrl } from '../../core/backends/url.js';
import { CredentialVault } from '../../core/host/credentials-vault.js';
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
    const entries = new Map([['default', { kind: 's3' as const, accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET }]]);
    writeCredentials(home.path, entries, fakeKeychain);
    const onDisk = readFileSync(credentialsPath(home.path), 'utf8');
    expect(onDisk).not.toContain(SECRET);
    expect(onDisk).not.toContain('AKIDEXAMPLE');
    expect(statSync(credentialsPath(home.path)).mode & 0o777).toBe(0o600);
    expect(readCredentials(home.path, fakeKeychain).entries.get('default')).toEqual({ kind: 's3', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET });
  });

  it('refuses to save without a keychain rather than write secrets in clear', () => {
    expect(() => writeCredentials(home.path, new Map([['default', { kind: 's3' as const, accessKeyId: 'A', secretAccessKey: SECRET }]]), noKeychain)).toThrow(/keychain/);
    expect(existsSync(credentialsPath(home.path))).toBe(false);
  });

  it('reports entries another keychain sealed instead of failing them all', () => {
    const text = encodeCredentials(new Map([['mine', { kind: 's3' as const, accessKeyId: 'A', secretAccessKey: 'B' }]]), fakeKeychain);
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

describe('the setCredentials command', () => {
  const input = Commands.setCredentials.input;
  const KEY_JSON = JSON.stringify({ type: 'service_account', client_email: 'uploader@project.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----\n', project_id: 'project-1' });

  it('takes S3 keys, a GCS key file or its JSON, or null to forget them', () => {
    expect(input.safeParse({ destinationId: 'd', credentials: { kind: 's3', accessKeyId: 'AKID', secretAccessKey: SECRET } }).success).toBe(true);
    expect(input.safeParse({ destinationId: 'd', credentials: { kind: 's3', accessKeyId: 'AKID', secretAccessKey: SECRET, sessionToken: 'token' } }).success).toBe(true);
    expect(input.safeParse({ destinationId: 'd', credentials: { kind: 'gcs', keyFile: '/home/me/key.json' } }).success).toBe(true);
    expect(input.safeParse({ destinationId: 'd', credentials: { kind: 'gcs', keyJson: KEY_JSON } }).success).toBe(true);
    expect(input.safeParse({ destinationId: 'd', credentials: null }).success).toBe(true);
  });

  it('refuses empty keys, both or neither GCS form, JSON that is not a key, and unknown kinds', () => {
    const refused = (credentials: unknown) => input.safeParse({ destinationId: 'd', credentials }).success;
    expect(refused({ kind: 's3', accessKeyId: '  ', secretAccessKey: SECRET })).toBe(false);
    expect(refused({ kind: 's3', accessKeyId: 'AKID', secretAccessKey: '' })).toBe(false);
    expect(refused({ kind: 'gcs', keyFile: '/k.json', keyJson: KEY_JSON })).toBe(false);
    expect(refused({ kind: 'gcs' })).toBe(false);
    expect(refused({ kind: 'gcs', keyJson: '{"client_email":"a"}' })).toBe(false);
    expect(refused({ kind: 'gcs', keyJson: 'not json' })).toBe(false);
    expect(refused({ kind: 'azure', key: 'x' })).toBe(false);
    expect(input.safeParse({ destinationId: '', credentials: null }).success).toBe(false);
  });

  it('is validated at the IPC boundary like every command', () => {
    expect(parseCommandMessage('setCredentials', { destinationId: 'd', credentials: { kind: 's3', accessKeyId: 'AKID' } })).toMatchObject({ ok: false, answer: { ok: false, error: { code: 'invalid_input' } } });
    expect(parseCommandMessage('listCredentials', {})).toMatchObject({ ok: true, name: 'listCredentials' });
  });
});

describe('credentials entered in the app', () => {
  const s3Destination: Destination = { id: 's3-dest', name: 'Photos', url: 's3://photos/2024?endpoint=http%3A%2F%2F127.0.0.1%3A9000' };
  const gcsDestination: Destination = { id: 'gcs-dest', name: 'Archive', url: 'gs://archive-bucket/' };
  const destinations = [s3Destination, gcsDestination];

  it('are sealed by the keychain, answered only as set or not, and found for the destination and its sub-folders', () => {
    const vault = new CredentialVault(keychainPersistence(home.path, fakeKeychain), () => destinations);
    expect(vault.set('s3-dest', { kind: 's3', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET })).toEqual({ destinationId: 's3-dest', set: true, kind: 's3' });
    expect(vault.list()).toEqual([
      { destinationId: 's3-dest', set: true, kind: 's3' },
      { destinationId: 'gcs-dest', set: false, kind: null },
    ]);
    expect(readFileSync(credentialsPath(home.path), 'utf8')).not.toContain(SECRET);

    const reopened = new CredentialVault(keychainPersistence(home.path, fakeKeychain), () => destinations);
    expect(reopened.lookup(parseStoreUrl(s3Destination.url))).toMatchObject({ kind: 's3', secretAccessKey: SECRET });
    expect(reopened.lookup(parseStoreUrl('s3://photos/2024/sub?endpoint=http%3A%2F%2F127.0.0.1%3A9000'))).toMatchObject({ kind: 's3' });
    expect(reopened.lookup(parseStoreUrl('s3://photos/2024'))).toBeNull(); // another endpoint is another store
    expect(reopened.lookup(parseStoreUrl(gcsDestination.url))).toBeNull();
  });

  it('refuses keys of the wrong kind and unknown destinations, and forgets with null', () => {
    const vault = new CredentialVault(keychainPersistence(home.path, fakeKeychain), () => destinations);
    expect(() => vault.set('gcs-dest', { kind: 's3', accessKeyId: 'A', secretAccessKey: 'B' })).toThrow(/GCS destination/);
    expect(() => vault.set('gone', { kind: 's3', accessKeyId: 'A', secretAccessKey: 'B' })).toThrow(/no destination gone/);
    vault.set('gcs-dest', { kind: 'gcs', keyFile: '/home/me/key.json' });
    expect(vault.set('gcs-dest', null)).toEqual({ destinationId: 'gcs-dest', set: false, kind: null });
    expect(vault.lookup(parseStoreUrl(gcsDestination.url))).toBeNull();
  });

  it('answers as data, without a keychain too, and never with the secret', () => {
    const vault = new CredentialVault(keychainPersistence(home.path, noKeychain), () => destinations);
    const answer = vault.handle('setCredentials', { destinationId: 's3-dest', credentials: { kind: 's3', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
    expect(answer).toMatchObject({ ok: false, error: { code: 'access_denied' } });
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(vault.list()[0]).toEqual({ destinationId: 's3-dest', set: false, kind: null });
  });

  it('reads entries saved before GCS keys existed as S3 keys', () => {
    const legacy = fakeKeychain.encryptString(JSON.stringify({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET })).toString('base64');
    writeFileSync(credentialsPath(home.path), JSON.stringify({ format: 'tierdrop-credentials', version: 1, entries: { 's3-dest': legacy } }));
    expect(readCredentials(home.path, fakeKeychain).entries.get('s3-dest')).toEqual({ kind: 's3', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET });
  });
});
