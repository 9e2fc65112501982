// The public face of core/backends: the storage traits, the fs and s3 implementations, destination
// URLs, and the key rules every layer shares.
export type {
  Backend,
  Body,
  CompleteError,
  HighVolumeBackend,
  InitiateOptions,
  MultipartUploadBackend,
  ObjectMeta,
  PartReceipt,
  PutOptions,
  StoreBackend,
  StoredObject,
  UploadListing,
} from './types.js';
export { joinKey, keyProblem, validateKey, validatePrefix } from './keys.js';
export { openStore, parseStoreUrl, type OpenedStore, type OpenStoreOptions, type StoreLocation, type StoreMode } from './url.js';
export { FsBackend, STATE_DIR_NAME, type FsBackendOptions, type LockTiming } from './fs/index.js';
export { GcsBackend, mapGcsError, RESERVED_PREFIX as GCS_RESERVED_PREFIX, type GcsBackendOptions, type GcsErrorContext } from './gcs/index.js';
export { S3Backend, mapS3Error, type S3BackendOptions, type S3Credentials, type S3ErrorContext } from './s3/index.js';
