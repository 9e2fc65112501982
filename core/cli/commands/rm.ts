// `tierdrop rm KEY --from URL`: deletes one object. On a tiered destination the tombstone goes
// first and then the revision, each step recorded in the journal so a crash leaves no orphan.
import { joinKey } from '../../backends/index.js';
import { TierdropError } from '../../errors/index.js';
import { EXIT_OK, USAGE_HINT, destination, parse } from '../args.js';
import { humanOutput } from '../output.js';
import { openService } from '../run.js';

export async function rm(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { from: { type: 'string' } });
  const key = positionals[0];
  if (key === undefined || positionals.length > 1) throw new TierdropError('invalid_input', `Name exactly one key to delete.\n${USAGE_HINT}`);
  const from = destination(values.from as string | undefined, '--from');
  const service = openService(humanOutput());
  try {
    const store = service.store(from);
    const fullKey = joinKey(store.prefix, key);
    await store.backend.delete(fullKey);
    process.stderr.write(`Deleted ${fullKey}\n`);
    return EXIT_OK;
  } finally {
    await service.dispose();
  }
}
