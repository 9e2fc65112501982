// The GCS backend: Google Cloud Storage (or a GCS JSON API test server) through @google-cloud/storage.
export { GcsBackend } from './gcs-backend.js';
export { createGcsClient, isLoopbackEndpoint, GOOGLE_ENDPOINT, type GcsBackendOptions } from './client.js';
export { mapGcsError, readGcsFailure, type GcsErrorContext, type GcsFailure } from './errors.js';
export { RESERVED_PREFIX } from './layout.js';
