// Builds the @google-cloud/storage client for a destination: the endpoint (Google's, or a test
// server's), credentials (a key file, else Application Default Credentials; anonymous only for a
// loopback test endpoint), and no automatic retries — the engine owns retries.
import { createRequire } from 'node:module';
import type { Storage } from '@google-cloud/storage';
import { TierdropError } from '../../errors/index.js';

// The SDK is loaded when the first gs:// destination opens, not with the app: it costs about a
// second of start-up and 30 MiB that S3 and local-folder users never need.
const requireModule = createRequire(import.meta.url);
function loadStorage(): typeof Storage {
  const sdk = requireModule('@google-cloud/storage') as typeof import('@google-cloud/storage');
  return sdk.Storage;
}

export interface GcsBackendOptions {
  bucket: string;
  /** A JSON API endpoint such as `http://127.0.0.1:4443`; Google's when absent. */
  endpoint?: string;
  /** The project for requests that need one; the credentials' own project otherwise. */
  projectId?: string;
  /** A service account key file; Application Default Credentials when absent. */
  keyFile?: string;
  /** A service account key's contents (entered in the window), instead of a file. */
  serviceAccountKey?: { client_email: string; private_key: string };
  maxSockets?: number;
  requestTimeoutMs?: number;
}

export const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface GcsClient {
  storage: Storage;
  endpoint: string;
  anonymous: boolean;
  /** Authorization headers for requests we send ourselves. */
  authHeaders: () => Promise<Record<string, string>>;
}

/** Whether `endpoint` is a test server on this machine (the only place anonymous access is allowed). */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}

export function createGcsClient(options: GcsBackendOptions): GcsClient {
  const endpoint = (options.endpoint ?? GOOGLE_ENDPOINT).replace(/\/+$/, '');
  const anonymous = options.keyFile === undefined && options.serviceAccountKey === undefined && isLoopbackEndpoint(options.endpoint);
  const StorageClient = loadStorage();
  const storage = new StorageClient({
    apiEndpoint: endpoint,
    ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
    ...(options.keyFile === undefined ? {} : { keyFilename: options.keyFile }),
    ...(options.serviceAccountKey === undefined
      ? {}
      : { credentials: { client_email: options.serviceAccountKey.client_email, private_key: options.serviceAccountKey.private_key } }),
    // A custom endpoint is anonymous in the library unless told otherwise; only loopback stays so.
    useAuthWithCustomEndpoint: !anonymous,
    retryOptions: { autoRetry: false, maxRetries: 0 },
  });
  return {
    storage,
    endpoint,
    anonymous,
    authHeaders: anonymous ? async () => ({}) : () => bearerHeaders(storage),
  };
}

async function bearerHeaders(storage: Storage): Promise<Record<string, string>> {
  const headers: unknown = await storage.authClient.getRequestHeaders();
  const found: Record<string, string> = {};
  if (typeof headers === 'object' && headers !== null) {
    // google-auth-library answers a plain object (v9) or a Headers instance (v10).
    const entries: Iterable<[string, unknown]> = headers instanceof Headers ? headers.entries() : Object.entries(headers);
    for (const [name, value] of entries) if (typeof value === 'string') found[name] = value;
  }
  if (found['Authorization'] === undefined && found['authorization'] === undefined) {
    throw new TierdropError('invalid_credentials', 'Could not load the default credentials for Google Cloud Storage.', {
      hint: 'Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or give a key file (&keyFile=/path/key.json).',
    });
  }
  return found;
}
