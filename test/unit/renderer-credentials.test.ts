// Credentials in the window: the form's fields become the contract's shape, the store hands them to
// the shell and keeps only "set or not", and a failure is shown with what to do.
import { describe, expect, it } from 'vitest';
import { DestinationCredentials, type CommandInput, type CommandName, type CommandOutput, type Result } from '../../core/contract/index.js';
import { EMPTY_CREDENTIAL_FIELDS, credentialsFromFields } from '../../renderer/logic/credentials-form.js';
import { createAppStore } from '../../renderer/store/index.js';
import type { Transport } from '../../renderer/transport/index.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

class ScriptedTransport implements Transport {
  readonly kind = 'http';
  readonly pickers = null;
  calls: Array<{ name: string; input: unknown }> = [];
  answers = new Map<string, Result<unknown>>();

  command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    this.calls.push({ name, input });
    return Promise.resolve((this.answers.get(name) ?? { ok: true, value: [] }) as Result<CommandOutput<C>>);
  }

  connect(): () => void {
    return () => undefined;
  }

  addDrop(): Promise<Result<{ ids: string[] }>> {
    return Promise.resolve({ ok: true, value: { ids: [] } });
  }
}

describe('the credentials form', () => {
  it('trims ids and paths, keeps secrets as typed, and leaves empty optional fields out', () => {
    const s3 = credentialsFromFields('s3', { ...EMPTY_CREDENTIAL_FIELDS, accessKeyId: ' AKID ', secretAccessKey: ` ${SECRET}` });
    expect(s3).toEqual({ kind: 's3', accessKeyId: 'AKID', secretAccessKey: ` ${SECRET}` });
    expect(DestinationCredentials.safeParse(s3).success).toBe(true);
    expect(credentialsFromFields('gcs', { ...EMPTY_CREDENTIAL_FIELDS, keyFile: ' /keys/k.json ' })).toEqual({ kind: 'gcs', keyFile: '/keys/k.json' });
  });

  it('leaves incomplete credentials for the contract to refuse with a reason', () => {
    const checked = DestinationCredentials.safeParse(credentialsFromFields('s3', { ...EMPTY_CREDENTIAL_FIELDS, accessKeyId: 'AKID' }));
    expect(checked.success).toBe(false);
    expect(checked.error?.issues[0]?.message).toMatch(/secret access key is empty/);
    expect(DestinationCredentials.safeParse(credentialsFromFields('gcs', EMPTY_CREDENTIAL_FIELDS)).success).toBe(false);
  });
});

describe('the store', () => {
  it('sends the credentials once and keeps only whether they are set', async () => {
    const transport = new ScriptedTransport();
    const store = createAppStore(transport);
    transport.answers.set('setCredentials', { ok: true, value: { destinationId: 'd1', set: true, kind: 's3' } });
    expect(await store.getState().saveCredentials('d1', { kind: 's3', accessKeyId: 'AKID', secretAccessKey: SECRET })).toBe(true);
    expect(transport.calls).toEqual([{ name: 'setCredentials', input: { destinationId: 'd1', credentials: { kind: 's3', accessKeyId: 'AKID', secretAccessKey: SECRET } } }]);
    expect(store.getState().credentials).toEqual({ d1: { destinationId: 'd1', set: true, kind: 's3' } });
    expect(JSON.stringify(store.getState().credentials)).not.toContain(SECRET);

    transport.answers.set('listCredentials', { ok: true, value: [{ destinationId: 'd1', set: false, kind: null }] });
    await store.getState().refreshCredentials();
    expect(store.getState().credentials['d1']?.set).toBe(false);
  });

  it('shows why the shell could not store them', async () => {
    const transport = new ScriptedTransport();
    const store = createAppStore(transport);
    transport.answers.set('setCredentials', { ok: false, error: { code: 'access_denied', message: 'This system offers no keychain.', retryable: false, hint: 'Unlock the keychain.' } });
    expect(await store.getState().saveCredentials('d1', { kind: 's3', accessKeyId: 'AKID', secretAccessKey: SECRET })).toBe(false);
    expect(store.getState().toasts[0]).toMatchObject({ tone: 'error', title: 'Could not save the credentials', detail: 'This system offers no keychain. Unlock the keychain.' });
    expect(store.getState().credentials).toEqual({});
  });
});
