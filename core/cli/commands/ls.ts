// `tierdrop ls --to URL [--json]`: the logical objects of a destination, tombstones resolved, the
// reserved folder of stored revisions hidden. Reads only, so it needs neither journal nor lock.
import { openDestination } from '../../tiered/index.js';
import { formatBytes } from '../../transfer/index.js';
import { EXIT_OK, destination, parse } from '../args.js';

export async function ls(args: string[]): Promise<number> {
  const { values } = parse(args, { to: { type: 'string' }, json: { type: 'boolean', default: false } }, false);
  const url = destination(values.to as string | undefined, '--to');
  const store = openDestination(url);
  try {
    for await (const meta of store.backend.list(store.prefix)) {
      const key = meta.key.slice(store.prefix.length);
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify({ key, sizeBytes: meta.sizeBytes, lastModifiedMs: meta.lastModifiedMs })}\n`);
      } else {
        process.stdout.write(`${formatBytes(meta.sizeBytes).padStart(10)}  ${new Date(meta.lastModifiedMs).toISOString()}  ${key}\n`);
      }
    }
    return EXIT_OK;
  } finally {
    await store.backend.dispose();
  }
}
