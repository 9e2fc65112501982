// Maps a path-style request (`/bucket/key…?subresource`) to the S3 operation it names, the way S3
// does: by method, by the presence of query subresources and by a few headers.
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './errors.js';

export const OPERATIONS = [
  'ListBuckets',
  'CreateBucket',
  'HeadBucket',
  'DeleteBucket',
  'ListObjectsV2',
  'ListObjects',
  'ListMultipartUploads',
  'DeleteObjects',
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'ListParts',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  // Recognised but not implemented: answered 501 NotImplemented.
  'CopyObject',
  'UploadPartCopy',
  'Unsupported',
  'MethodNotAllowed',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Route {
  operation: Operation;
  bucket: string;
  /** URL-decoded; '' for bucket-level requests. */
  key: string;
  query: URLSearchParams;
  /** The decoded path, for <Resource> in errors. */
  resource: string;
}

// Subresources S3 has and this server does not; naming one must not fall through to a plain GET/PUT.
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'tagging', 'torrent', 'retention', 'legal-hold', 'attributes', 'restore', 'select', 'cors',
  'policy', 'policyStatus', 'lifecycle', 'versioning', 'versions', 'location', 'website', 'logging',
  'notification', 'replication', 'encryption', 'ownershipControls', 'publicAccessBlock', 'object-lock',
  'accelerate', 'requestPayment', 'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'session',
  'renameObject',
];

export function routeRequest(method: string, url: string, headers: IncomingHttpHeaders): Route {
  const queryStart = url.indexOf('?');
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI');
  const slash = rawPath.indexOf('/', 1);
  const bucket = decodePath(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
  const key = slash < 0 ? '' : decodePath(rawPath.slice(slash + 1));
  const resource = key === '' ? `/${bucket}` : `/${bucket}/${key}`;
  const route = (operation: Operation): Route => ({ operation, bucket, key, query, resource });

  const unsupported = UNSUPPORTED_SUBRESOURCES.some((name) => query.has(name));
  if (bucket === '') return route(method === 'GET' ? 'ListBuckets' : 'MethodNotAllowed');
  if (key === '') {
    if (unsupported) return route('Unsupported');
    switch (method) {
      case 'PUT':
        return route('CreateBucket');
      case 'HEAD':
        return route('HeadBucket');
      case 'DELETE':
        return route('DeleteBucket');
      case 'GET':
        if (query.has('uploads')) return route('ListMultipartUploads');
        return route(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects');
      case 'POST':
        return route(query.has('delete') ? 'DeleteObjects' : 'Unsupported');
      default:
        return route('MethodNotAllowed');
    }
  }
  if (unsupported) return route('Unsupported');
  const copy = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'PUT':
      if (query.has('uploadId')) return route(copy ? 'UploadPartCopy' : 'UploadPart');
      return route(copy ? 'CopyObject' : 'PutObject');
    case 'GET':
      return route(query.has('uploadId') ? 'ListParts' : 'GetObject');
    case 'HEAD':
      return route('HeadObject');
    case 'DELETE':
      return route(query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject');
    case 'POST':
      if (query.has('uploads')) return route('CreateMultipartUpload');
      return route(query.has('uploadId') ? 'CompleteMultipartUpload' : 'Unsupported');
    default:
      return route('MethodNotAllowed');
  }
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Error('InvalidURI');
  }
}
