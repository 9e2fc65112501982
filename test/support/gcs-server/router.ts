// Maps a request line onto a JSON API operation: which bucket, which object, which method. Object
// names arrive percent-encoded in the path (one segment, '/' as %2F) or in ?name= for uploads.
import { GcsError } from './errors.js';

export type Operation =
  | 'buckets.list'
  | 'buckets.insert'
  | 'buckets.get'
  | 'objects.list'
  | 'objects.get'
  | 'objects.patch'
  | 'objects.delete'
  | 'objects.compose'
  | 'objects.rewrite'
  | 'objects.insert';

export interface Route {
  operation: Operation;
  bucket: string;
  /** Decoded object name from the path, '' when the path names none. */
  object: string;
  query: URLSearchParams;
  /** alt=media on a get: the data rather than the resource. */
  media: boolean;
  /** The /upload/ path: media, multipart or resumable insert (or a resumable session's PUT). */
  upload: boolean;
}

const API = '/storage/v1/b';

export function routeRequest(method: string, rawUrl: string): Route {
  const url = new URL(rawUrl, 'http://localhost');
  const query = url.searchParams;
  const path = url.pathname;
  const media = query.get('alt') === 'media';
  const base = { query, media, upload: false, object: '', bucket: '' };
  if (path.startsWith(`/upload${API}/`)) {
    const segments = path.slice(`/upload${API}/`.length).split('/');
    if (segments.length === 2 && segments[1] === 'o' && (method === 'POST' || method === 'PUT' || method === 'DELETE')) {
      return { ...base, operation: 'objects.insert', bucket: decode(segments[0] ?? ''), upload: true };
    }
    throw notFound(method, path);
  }
  const downloadPrefix = `/download${API}/`;
  const apiPath = path.startsWith(downloadPrefix) ? path.slice('/download'.length) : path;
  if (path.startsWith(downloadPrefix) && method !== 'GET') throw notFound(method, path);
  if (apiPath === API) {
    if (method === 'GET') return { ...base, operation: 'buckets.list' };
    if (method === 'POST') return { ...base, operation: 'buckets.insert' };
    throw notFound(method, path);
  }
  if (!apiPath.startsWith(`${API}/`)) throw notFound(method, path);
  const segments = apiPath.slice(API.length + 1).split('/');
  const bucket = decode(segments[0] ?? '');
  if (segments.length === 1 && method === 'GET') return { ...base, operation: 'buckets.get', bucket };
  if (segments[1] !== 'o') throw notFound(method, path);
  if (segments.length === 2) {
    if (method === 'GET') return { ...base, operation: 'objects.list', bucket };
    throw notFound(method, path);
  }
  const object = decode(segments[2] ?? '');
  if (segments.length === 3) {
    if (method === 'GET') return { ...base, operation: 'objects.get', bucket, object, media: media || path.startsWith(downloadPrefix) };
    if (method === 'PATCH' || method === 'PUT') return { ...base, operation: 'objects.patch', bucket, object };
    if (method === 'DELETE') return { ...base, operation: 'objects.delete', bucket, object };
  }
  if (segments.length === 4 && segments[3] === 'compose' && method === 'POST') return { ...base, operation: 'objects.compose', bucket, object };
  if (segments[3] === 'rewriteTo' || segments[3] === 'copyTo') return { ...base, operation: 'objects.rewrite', bucket, object };
  throw notFound(method, path);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GcsError(400, 'invalid', `Invalid percent-encoding in "${segment}".`);
  }
}

function notFound(method: string, path: string): GcsError {
  return new GcsError(404, 'notFound', `Not Found: ${method} ${path}`);
}
