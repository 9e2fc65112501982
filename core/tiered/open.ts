// Opening a destination as the engine and the CLI see it: the store of its URL, wrapped in
// TieredStorage unless the URL says `?mode=direct` (objects at their own keys, LT only).
import { openStore, type OpenStoreOptions, type StoreBackend, type StoreMode } from '../backends/index.js';
import type { ChangeStore } from '../journal/index.js';
import { TieredStorage } from './tiered-storage.js';

export interface OpenedDestination {
  backend: StoreBackend;
  prefix: string;
  /** The destination URL in canonical form. */
  url: string;
  mode: StoreMode;
  /** The tiered view, or null for a direct destination. */
  tiered: TieredStorage | null;
}

export interface OpenDestinationOptions extends OpenStoreOptions {
  /** The journal's changelog; without it a tiered destination can only be read. */
  changes?: ChangeStore;
}

export function openDestination(url: string, options: OpenDestinationOptions = {}): OpenedDestination {
  const { changes, ...storeOptions } = options;
  const opened = openStore(url, storeOptions);
  if (opened.mode === 'direct') return { backend: opened.backend, prefix: opened.prefix, url: opened.url, mode: 'direct', tiered: null };
  // Both tiers share one store: HV entries at their keys, LT revisions under the reserved folder.
  const tiered = new TieredStorage({
    hv: opened.backend,
    lt: opened.backend,
    prefix: opened.prefix,
    destination: opened.url,
    changes: changes ?? null,
    ...(opened.inlineBelowBytes === undefined ? {} : { inlineBelowBytes: opened.inlineBelowBytes }),
    owned: [opened.backend],
  });
  return { backend: tiered, prefix: opened.prefix, url: opened.url, mode: 'tiered', tiered };
}
