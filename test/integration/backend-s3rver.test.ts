// S3Backend against the third-party s3rver emulator, with checksums off (s3rver cannot read the
// streaming checksum trailer). Skipped by name: only what s3rver does not implement.
import { S3Backend } from '../../core/backends/index.js';
import { describeBackendContract } from '../contract/backend-contract.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/s3-server/s3rver.js';

const BUCKET = 'contract';

describeBackendContract(
  's3rver',
  async () => {
    const server = await startS3rver(BUCKET);
    const backend = new S3Backend({
      bucket: BUCKET,
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      checksum: 'none',
    });
    return {
      backend,
      minPartBytes: 5 * 1024 * 1024,
      cleanup: async () => {
        await backend.dispose();
        await server.close();
      },
    };
  },
  {
    skip: [
      'list orders nested keys by their bytes', // lists folder by folder, not by key bytes
      'list paginates past 1000', // its continuation tokens use DES, which Node 17+ (OpenSSL 3) lacks
      'listParts returns receipts', // no ListParts (405)
      'listParts of unknown upload is not_found', // no ListParts (405)
      'abort removes the upload', // no AbortMultipartUpload (405)
      'listUploads finds open uploads', // no ListMultipartUploads (NotImplemented)
      'complete with wrong etag fails', // does not check part etags
      'complete with parts out of order fails', // does not check part order
      'complete of unknown upload is not_found', // answers 500 instead of NoSuchUpload
      'compareAndWrite create-only', // ignores If-None-Match
      'compareAndWrite if-match', // ignores If-Match
      'compareAndWrite on a missing key with an etag conflicts', // ignores If-Match
      'compareAndWrite idempotent retry', // ignores If-Match
      'concurrent compareAndWrite has one winner', // ignores If-None-Match
    ],
  },
);
