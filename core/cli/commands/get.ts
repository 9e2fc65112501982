// `tierdrop get KEY --from URL -o FILE`: download one object, atomically.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { joinKey } from '../../backends/index.js';
import { TierdropError, localWriteError } from '../../errors/index.js';
import { openDestination } from '../../tiered/index.js';
import { formatBytes } from '../../transfer/index.js';
import { EXIT_OK, USAGE_HINT, destination, parse } from '../args.js';

export async function get(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { from: { type: 'string' }, output: { type: 'string', short: 'o' } });
  const key = positionals[0];
  if (key === undefined || positionals.length > 1) throw new TierdropError('invalid_input', `Name exactly one key to download.\n${USAGE_HINT}`);
  const from = destination(values.from as string | undefined, '--from');
  if (typeof values.output !== 'string') throw new TierdropError('invalid_input', `-o FILE is required.\n${USAGE_HINT}`);
  const target = resolve(values.output);
  const store = openDestination(from); // read-only: tombstones resolve to their revisions
  try {
    const fullKey = joinKey(store.prefix, key);
    const object = await store.backend.get(fullKey);
    if (object === null) throw new TierdropError('not_found', `There is no object "${fullKey}" in ${store.backend.description}.`);
    const temporary = `${target}.tierdrop-partial`;
    try {
      await pipeline(object.body, createWriteStream(temporary));
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw localWriteError(target, error);
    }
    process.stderr.write(`Saved ${fullKey} (${formatBytes(object.meta.sizeBytes)}) to ${target}\n`);
    return EXIT_OK;
  } finally {
    await store.backend.dispose();
  }
}
