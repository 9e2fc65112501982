// `tierdrop upload PATH... --to URL`: queue files and folders and run them to the end.
import type { SettingsPatch } from '../../contract/index.js';
import { TierdropError } from '../../errors/index.js';
import { parseSize } from '../../transfer/index.js';
import { USAGE_HINT, destination, parse, positiveInt } from '../args.js';
import { humanOutput, jsonOutput } from '../output.js';
import { openService, runToCompletion } from '../run.js';

export async function upload(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    to: { type: 'string' },
    'part-size': { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new TierdropError('invalid_input', `Name at least one file or folder to upload.\n${USAGE_HINT}`);
  const to = destination(values.to as string | undefined, '--to');
  const overrides: SettingsPatch = {};
  if (typeof values['part-size'] === 'string') overrides.partSizeBytes = parseSize(values['part-size']);
  if (typeof values.concurrency === 'string') overrides.concurrency = positiveInt(values.concurrency, '--concurrency');

  const output = values.json === true ? jsonOutput() : humanOutput();
  const service = openService(output, overrides);
  return runToCompletion(service, output, async () => {
    const added = await service.engine.addFiles(positionals, to);
    for (const problem of added.problems) output.problem(problem.path, problem.error);
    return { ids: added.ids, problems: added.problems.length };
  });
}
