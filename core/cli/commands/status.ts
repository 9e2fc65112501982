// `tierdrop status`: what is unfinished, read from the journal without taking the engine lock.
import type { TransferView } from '../../contract/index.js';
import { Journal } from '../../journal/index.js';
import { journalPath, resolveHome } from '../../service/index.js';
import { UNFINISHED_STATES, formatBytes } from '../../transfer/index.js';
import { EXIT_OK, parse } from '../args.js';
import { describeError } from '../output.js';

export function status(args: string[]): number {
  const { values } = parse(args, { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } }, false);
  // Reading needs no lock: an upload may be running in another process right now.
  const { journal, report } = Journal.open(journalPath(resolveHome()));
  if (report.reason !== null) process.stderr.write(`${report.reason}\n`);
  try {
    const rows = journal.listUploads(values.all === true ? undefined : { states: [...UNFINISHED_STATES, 'failed'] });
    const views: TransferView[] = rows.map((row) => {
      const progress = journal.partProgress(row.id);
      return {
        id: row.id,
        destination: row.destination,
        sourcePath: row.sourcePath,
        key: row.key,
        sizeBytes: row.sizeBytes,
        bytesDone: row.state === 'done' ? row.sizeBytes : progress.bytesDone,
        partsDone: progress.partsDone,
        partsTotal: progress.partsTotal,
        state: row.state,
        error: row.errorCode === null ? null : { code: row.errorCode, message: row.errorMessage ?? '', retryable: row.errorRetryable },
        speedBytesPerSec: 0,
        etaSeconds: null,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      };
    });
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
