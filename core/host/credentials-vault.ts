// Credentials entered in the window, kept by the loopback host: one owner-only file in the home,
// replaced atomically and validated when read back. Answers only ever say which destinations have some.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { Commands, DestinationCredentials, type CredentialsStatus, type Destination, type Result } from '../contract/index.js';
import { matchCredentials, type CredentialCandidate } from '../backends/credentials.js';
import { parseStoreUrl, type StoreLocation } from '../backends/url.js';
import { TierdropError, toErrorInfo } from '../errors/index.js';

export const CREDENTIALS_FILE = 'credentials.json';
const OWNER_ONLY = 0o600; // readable by this user alone, as ssh and the AWS CLI keep their keys

const VaultFile = z.object({
  format: z.literal('tierdrop-host-credentials'),
  version: z.literal(1),
  /** destination id → its credentials */
  entries: z.record(z.string().min(1), DestinationCredentials),
});

export type CredentialCommand = 'setCredentials' | 'listCredentials';

export function isCredentialCommand(name: string): name is CredentialCommand {
  return name === 'setCredentials' || name === 'listCredentials';
}

/** Where a shell keeps the entries: an owner-only file here, the OS keychain in the app. */
export interface CredentialPersistence {
  /** The stored entries, and what to tell a person if some could not be read. */
  read(): { entries: Map<string, DestinationCredentials>; warning: string | null };
  write(entries: ReadonlyMap<string, DestinationCredentials>): void;
}

export class CredentialVault {
  private readonly entries: Map<string, DestinationCredentials>;
  private candidates: { destinations: readonly Destination[]; list: CredentialCandidate[] } | null = null;
  /** What to tell a person at start (a damaged file set aside). */
  readonly warning: string | null;

  constructor(
    private readonly persistence: CredentialPersistence,
    private readonly destinations: () => readonly Destination[],
  ) {
    const stored = persistence.read();
    this.entries = stored.entries;
    this.warning = stored.warning;
  }

  /** The loopback host's vault: an owner-only file in its home. */
  static open(home: string, destinations: () => readonly Destination[]): CredentialVault {
    return new CredentialVault(ownerOnlyFile(join(home, CREDENTIALS_FILE)), destinations);
  }

  /** The two credential commands, validated with the contract and answered as data. */
  handle(name: CredentialCommand, input: unknown): Result<CredentialsStatus | CredentialsStatus[]> {
    try {
      if (name === 'listCredentials') {
        Commands.listCredentials.input.parse(input);
        return { ok: true, value: this.list() };
      }
      const parsed = Commands.setCredentials.input.safeParse(input);
      if (!parsed.success) {
        return { ok: false, error: { code: 'invalid_input', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '), retryable: false } };
      }
      return { ok: true, value: this.set(parsed.data.destinationId, parsed.data.credentials) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  set(destinationId: string, credentials: DestinationCredentials | null): CredentialsStatus {
    const destination = this.destinations().find((known) => known.id === destinationId);
    if (!destination) {
      throw new TierdropError('not_found', `There is no destination ${destinationId}.`, { hint: 'Save the destination first, then enter its credentials.' });
    }
    const kind = parseStoreUrl(destination.url).kind;
    if (credentials !== null && credentials.kind !== kind) {
      throw new TierdropError('invalid_input', `${destination.name} is ${kindName(kind)} destination; these are ${credentials.kind.toUpperCase()} credentials.`);
    }
    const next = new Map(this.entries);
    if (credentials === null) next.delete(destinationId);
    else next.set(destinationId, credentials);
    for (const id of next.keys()) if (!this.destinations().some((known) => known.id === id)) next.delete(id); // removed destinations
    this.persistence.write(next);
    this.entries.clear();
    for (const [id, entry] of next) this.entries.set(id, entry);
    this.candidates = null;
    return status(destinationId, this.entries.get(destinationId));
  }

  list(): CredentialsStatus[] {
    return this.destinations().map((destination) => status(destination.id, this.entries.get(destination.id)));
  }

  /** For openStore: the credentials entered for the destination at `location`, if any. */
  lookup(location: StoreLocation): DestinationCredentials | null {
    if (this.entries.size === 0) return null;
    return matchCredentials(location, this.currentCandidates());
  }

  private currentCandidates(): CredentialCandidate[] {
    const destinations = this.destinations();
    if (this.candidates?.destinations === destinations) return this.candidates.list;
    const list: CredentialCandidate[] = [];
    for (const destination of destinations) {
      const credentials = this.entries.get(destination.id);
      if (credentials) list.push({ location: parseStoreUrl(destination.url), credentials });
    }
    this.candidates = { destinations, list };
    return list;
  }

}

/** Plain JSON readable by this user alone, replaced atomically; a damaged file is set aside. */
export function ownerOnlyFile(path: string): CredentialPersistence {
  return {
    read: () => {
      if (!existsSync(path)) return { entries: new Map(), warning: null };
      try {
        chmodSync(path, OWNER_ONLY); // a copy restored from a backup may have lost its mode
        const file = VaultFile.parse(JSON.parse(readFileSync(path, 'utf8')));
        return { entries: new Map(Object.entries(file.entries)), warning: null };
      } catch {
        const aside = `${path}.damaged-${Date.now()}`;
        renameSync(path, aside);
        return { entries: new Map(), warning: `The credentials file could not be read and was set aside as ${aside}; enter the credentials again in Settings.` };
      }
    },
    write: (entries) => {
      const text = `${JSON.stringify({ format: 'tierdrop-host-credentials', version: 1, entries: Object.fromEntries(entries) }, null, 2)}\n`;
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.tmp-${process.pid}`;
      writeFileSync(temporary, text, { mode: OWNER_ONLY });
      renameSync(temporary, path);
    },
  };
}

function status(destinationId: string, credentials: DestinationCredentials | undefined): CredentialsStatus {
  return { destinationId, set: credentials !== undefined, kind: credentials?.kind ?? null };
}

function kindName(kind: StoreLocation['kind']): string {
  return kind === 'fs' ? 'a local folder' : kind === 's3' ? 'an S3' : 'a GCS';
}
