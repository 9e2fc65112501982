// Reading a destination URL for people: what kind of store it is, where, and the key prefix the
// engine puts in front of every key (so the window can show keys relative to the destination).
import type { Destination } from '../../core/contract/index.js';

export type DestinationKind = 'local' | 's3' | 'gcs' | 'other';
export type StorageMode = 'tiered' | 'direct';

export interface DestinationInfo {
  kind: DestinationKind;
  kindLabel: string;
  /** Bucket and endpoint host, or the folder path. */
  where: string;
  mode: StorageMode;
  /** '' or 'some/folder/', as keys begin. */
  keyPrefix: string;
}

const described = new Map<string, DestinationInfo>(); // a handful of destinations, asked about for every row
const MAX_DESCRIBED = 256; // bounds the cache if URLs are typed and retyped in settings

/** Cached: grouping 10,000 rows asks this for every transfer, and parsing a URL is not free. */
export function describeDestinationUrl(raw: string): DestinationInfo {
  const known = described.get(raw);
  if (known) return known;
  const info = parseDestinationUrl(raw);
  if (described.size >= MAX_DESCRIBED) described.clear();
  described.set(raw, info);
  return info;
}

function parseDestinationUrl(raw: string): DestinationInfo {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { kind: 'other', kindLabel: 'Unknown', where: raw, mode: 'direct', keyPrefix: '' };
  }
  // Tiered (HV + LT) is core's default; `?mode=direct` stores plain objects other tools can read.
  const mode: StorageMode = url.searchParams.get('mode') === 'direct' ? 'direct' : 'tiered';
  if (url.protocol === 'file:') {
    return { kind: 'local', kindLabel: 'Folder', where: safeDecode(url.pathname), mode, keyPrefix: '' };
  }
  if (url.protocol === 's3:' || url.protocol === 'gs:') {
    const prefix = safeDecode(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
    const endpoint = url.searchParams.get('endpoint');
    let host = url.protocol === 's3:' ? 'AWS' : 'Google Cloud';
    if (endpoint !== null) {
      try {
        host = new URL(endpoint).host;
      } catch {
        host = endpoint;
      }
    }
    const bucketPath = prefix === '' ? url.hostname : `${url.hostname}/${prefix}`;
    return {
      kind: url.protocol === 's3:' ? 's3' : 'gcs',
      kindLabel: url.protocol === 's3:' ? 'S3' : 'GCS',
      where: `${bucketPath} · ${host}`,
      mode,
      keyPrefix: prefix === '' ? '' : `${prefix}/`,
    };
  }
  return { kind: 'other', kindLabel: url.protocol.replace(/:$/, '').toUpperCase(), where: raw, mode, keyPrefix: '' };
}

/** The destination a transfer goes to, by URL, or null when it is no longer configured. */
export function findDestination(destinations: readonly Destination[], url: string): Destination | null {
  return destinations.find((destination) => destination.url === url) ?? null;
}

/** The key as a person dropped it: without the destination's prefix. */
export function relativeKey(key: string, destinationUrl: string): string {
  const { keyPrefix } = describeDestinationUrl(destinationUrl);
  return keyPrefix !== '' && key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : key;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
