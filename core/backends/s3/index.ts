// The S3 backend: Amazon S3 and S3-compatible stores.
export { S3Backend } from './s3-backend.js';
export { createS3Client, environmentCredentials, MissingCredentialsError, type S3BackendOptions, type S3Credentials, type S3CredentialSource } from './client.js';
export { mapS3Error, readFailure, type S3ErrorContext, type S3Failure } from './errors.js';
