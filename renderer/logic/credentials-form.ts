// The credentials form's fields as the contract's shape, for the settings panel: trimmed where a
// space is never meant, optional fields left out when empty. Validation is the contract's schema.
export interface CredentialFields {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  keyFile: string;
  keyJson: string;
}

export const EMPTY_CREDENTIAL_FIELDS: CredentialFields = { accessKeyId: '', secretAccessKey: '', sessionToken: '', keyFile: '', keyJson: '' };

/** Secrets are taken as typed (a space may be part of one); ids, paths and JSON are trimmed. */
export function credentialsFromFields(kind: 's3' | 'gcs', fields: CredentialFields): unknown {
  if (kind === 's3') {
    return {
      kind,
      accessKeyId: fields.accessKeyId.trim(),
      secretAccessKey: fields.secretAccessKey,
      ...(fields.sessionToken === '' ? {} : { sessionToken: fields.sessionToken }),
    };
  }
  return {
    kind,
    ...(fields.keyFile.trim() === '' ? {} : { keyFile: fields.keyFile.trim() }),
    ...(fields.keyJson.trim() === '' ? {} : { keyJson: fields.keyJson.trim() }),
  };
}
