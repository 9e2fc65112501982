// `tierdrop resume`: finish every unfinished upload the journal knows, including those that failed
// for a reason worth another try (a store that kept erring); failures that need a person stay.
import { parse } from '../args.js';
import { humanOutput, jsonOutput } from '../output.js';
import { openService, runToCompletion } from '../run.js';

export async function resume(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false } }, false);
  const output = values.json === true ? jsonOutput() : humanOutput();
  const service = openService(output);
  return runToCompletion(service, output, async () => {
    const recovered = service.engine.recover();
    const waiting = [...recovered.queued, ...recovered.paused];
    service.engine.resume(waiting);
    const retryable = service.journal.listUploads({ states: ['failed'] }).filter((row) => row.errorRetryable);
    const ids = [...waiting, ...service.engine.retry(retryable.map((row) => row.id))];
    const message =
      ids.length === 0 ? 'Nothing to resume: every upload in the journal is finished.' : `Resuming ${ids.length} upload${ids.length === 1 ? '' : 's'}.`;
    output.event({ type: 'journal.recovered', resumedIds: ids, setAsidePath: null, message });
    return { ids, problems: 0 };
  });
}
