// Credentials a shell keeps for its destinations, found by openStore when a destination is opened.
// The shell (host or app) registers a lookup; the secrets stay in this process and are never logged.
import type { DestinationCredentials } from '../contract/index.js';
import type { StoreLocation } from './url.js';

/** Answers the credentials for a destination being opened, or null to use the environment's. */
export type CredentialLookup = (location: StoreLocation) => DestinationCredentials | null;

// A process-wide list rather than an option threaded through the service: the shell that keeps the
// secrets is the only one that knows them, and each registration is disposed with its shell.
const lookups: CredentialLookup[] = [];

export function registerCredentialLookup(lookup: CredentialLookup): () => void {
  lookups.push(lookup);
  return () => {
    const index = lookups.indexOf(lookup);
    if (index >= 0) lookups.splice(index, 1);
  };
}

/** The newest registration that knows the destination wins. */
export function findCredentials(location: StoreLocation): DestinationCredentials | null {
  for (let index = lookups.length - 1; index >= 0; index -= 1) {
    const found = lookups[index]?.(location) ?? null;
    if (found !== null) return found;
  }
  return null;
}

export interface CredentialCandidate {
  location: StoreLocation;
  credentials: DestinationCredentials;
}

/**
 * The credentials for `location` among those stored per destination: the destination with exactly
 * this URL first, else one on the same store (endpoint and bucket), so a probe of an edited prefix
 * or a file added under a sub-folder uses the same keys.
 */
export function matchCredentials(location: StoreLocation, candidates: readonly CredentialCandidate[]): DestinationCredentials | null {
  const scope = storeScope(location);
  let sameStore: DestinationCredentials | null = null;
  for (const candidate of candidates) {
    if (candidate.credentials.kind !== location.kind) continue;
    if (candidate.location.url === location.url) return candidate.credentials;
    if (sameStore === null && scope !== null && storeScope(candidate.location) === scope) sameStore = candidate.credentials;
  }
  return sameStore;
}

/** Which store credentials belong to: the kind, endpoint and bucket (a local folder needs none). */
function storeScope(location: StoreLocation): string | null {
  if (location.kind === 'fs') return null;
  return `${location.kind}\n${location.endpoint ?? ''}\n${location.bucket}`;
}
