// `tierdrop status`: what is unfinished, read from the journal without taking the engine lock.
import { Journal } from '../../journal/index.js';
import { journalPath, resolveHome } from '../../service/index.js';
import { UNFINISHED_STATES, formatBytes, toTransferView } from '../../transfer/index.js';
import { EXIT_OK, parse } from '../args.js';
import { describeError } from '../output.js';

export function status(args: string[]): number {
  const { values } = parse(args, { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } }, false);
  // Reading needs no lock: an upload may be running in another process right now.
  const { journal, report } = Journal.open(journalPath(resolveHome()));
  if (report.reason !== null) process.stderr.write(`${report.reason}\n`);
  try {
    const rows = journal.listUploads(values.all === true ? undefined : { states: [...UNFINISHED_STATES, 'failed'] });
    const parts = journal.partProgressByUpload();
    const views = rows.map((row) => toTransferView(row, parts.get(row.id) ?? { partsDone: 0, partsTotal: 0, bytesDone: 0 }, null));
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(views)}\n`);
      return EXIT_OK;
    }
    if (views.length === 0) {
      process.stdout.write('No unfinished uploads.\n');
      return EXIT_OK;
    }
    for (const view of views) {
      const percent = view.sizeBytes === 0 ? 100 : (view.bytesDone / view.sizeBytes) * 100;
      const reason = view.error ? `  ${describeError(view.error)}` : '';
      process.stdout.write(
        `${view.id.slice(0, 8)}  ${view.state.padEnd(10)} ${percent.toFixed(0).padStart(3)}%  ${formatBytes(view.sizeBytes).padStart(9)}  ${view.key}${reason}\n`,
      );
    }
    return EXIT_OK;
  } finally {
    journal.close();
  }
}
