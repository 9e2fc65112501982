// `tierdrop cancel ID`: abort uploads in the store and mark them cancelled.
import { TierdropError } from '../../errors/index.js';
import { EXIT_OK, parse } from '../args.js';
import { humanOutput } from '../output.js';
import { openService } from '../run.js';

export async function cancel(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length === 0) throw new TierdropError('invalid_input', `Name the upload to cancel (its id or the start of it, from \`tierdrop status\`).`);
  const output = humanOutput();
  const service = openService(output);
  try {
    const rows = service.journal.listUploads();
    const ids = positionals.map((given) => {
      const matches = rows.filter((row) => row.id.startsWith(given));
      if (matches.length !== 1) {
        throw new TierdropError('invalid_input', matches.length === 0 ? `No upload has the id ${given}.` : `${given} matches ${matches.length} uploads; give more of the id.`);
      }
      return matches[0]?.id ?? given;
    });
    const cancelled = await service.engine.cancel(ids);
    for (const id of cancelled) output.info(`cancelled ${id}`);
    return EXIT_OK;
  } finally {
    await service.dispose();
  }
}
