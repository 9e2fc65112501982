// The `tierdrop` command: upload, resume, status, cancel, get. Arguments are validated here, at
// the boundary; the work is done by SyncService, the same service the desktop app drives.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { joinKey, openStore } from '../backends/index.js';
import { DestinationUrl, type SettingsPatch, type TransferView } from '../contract/index.js';
import { TierdropError, localWriteError, toErrorInfo } from '../errors/index.js';
import { Journal } from '../journal/index.js';
import { SyncService, journalPath, resolveHome } from '../service/index.js';
import { UNFINISHED_STATES, formatBytes, parseSize } from '../transfer/index.js';
import { describeError, humanOutput, jsonOutput, type Output } from './output.js';

const USAGE = `Usage:
  tierdrop upload PATH... --to URL [--part-size SIZE] [--concurrency N] [--json]
  tierdrop resume [--json]
  tierdrop status [--json]
  tierdrop cancel ID
  tierdrop get KEY --from URL -o FILE

URLs: file:///absolute/folder  or  s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
Journal and settings live in $TIERDROP_HOME (now: ${resolveHome()}).`;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1; // something could not be uploaded; the output says what
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130; // paused by Ctrl-C; `tierdrop resume` continues

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'upload':
        return await upload(rest);
      case 'resume':
        return await resumeAll(rest);
      case 'status':
        return status(rest);
      case 'cancel':
        return await cancel(rest);
      case 'get':
        return await get(rest);
      case 'app':
        process.stderr.write('The desktop window is not part of this build yet; use `tierdrop upload PATH --to URL`.\n');
        return EXIT_USAGE;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
        return EXIT_USAGE;
    }
  } catch (error) {
    const info = toErrorInfo(error);
    process.stderr.write(`tierdrop: ${describeError(info)}\n`);
    return info.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new TierdropError('invalid_input', `${(error as Error).message}\n${USAGE}`);
  }
}

function positiveInt(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new TierdropError('invalid_input', `${name} must be a whole number above 0, not "${text}".`);
  return value;
}

function destination(text: string | undefined, flag: string): string {
  if (text === undefined) throw new TierdropError('invalid_input', `${flag} URL is required.\n${USAGE}`);
  const parsed = DestinationUrl.safeParse(text);
  if (!parsed.success) throw new TierdropError('invalid_input', `${text} is not a destination: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** Opens the service, reporting what it had to set aside. */
function openService(output: Output, overrides: SettingsPatch = {}): SyncService {
  const { service, warnings } = SyncService.open(resolveHome(), overrides);
  for (const warning of warnings) output.info(warning);
  return service;
}

async function upload(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    to: { type: 'string' },
    'part-size': { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new TierdropError('invalid_input', `Name at least one file or folder to upload.\n${USAGE}`);
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

async function resumeAll(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false } }, false);
  const output = values.json === true ? jsonOutput() : humanOutput();
  const service = openService(output);
  return runToCompletion(service, output, async () => {
    const recovered = service.engine.recover();
    const ids = [...recovered.queued, ...recovered.paused];
    service.engine.resume(ids);
    const message =
      ids.length === 0 ? 'Nothing to resume: every upload in the journal is finished.' : `Resuming ${ids.length} upload${ids.length === 1 ? '' : 's'}.`;
    output.event({ type: 'journal.recovered', resumedIds: ids, setAsidePath: null, message });
    return { ids, problems: 0 };
  });
}

/** Runs the given uploads until none is left running; Ctrl-C pauses them cleanly. */
async function runToCompletion(
  service: SyncService,
  output: Output,
  start: () => Promise<{ ids: string[]; problems: number }>,
): Promise<number> {
  const unsubscribe = service.on((event) => output.event(event));
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) {
      process.stderr.write('\nStopping now; the journal is consistent, parts in flight will be sent again.\n');
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    void service.engine.pauseAll();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const { ids, problems } = await start();
    await service.engine.whenIdle();
    output.finish();
    const views = ids.map((id) => service.journal.getUpload(id)).filter((row) => row !== null);
    if (interrupted) {
      const paused = views.filter((row) => row.state === 'paused').length;
      output.info(`Paused ${paused} upload${paused === 1 ? '' : 's'}. Run \`tierdrop resume\` to continue.`);
      return EXIT_INTERRUPTED;
    }
    const failed = views.filter((row) => row.state === 'failed').length;
    const done = views.filter((row) => row.state === 'done').length;
    output.info(`${done} uploaded, ${failed} failed, ${problems} skipped.`);
    return failed === 0 && problems === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    unsubscribe();
    await service.dispose();
  }
}

function status(args: string[]): number {
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

async function cancel(args: string[]): Promise<number> {
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

async function get(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { from: { type: 'string' }, output: { type: 'string', short: 'o' } });
  const key = positionals[0];
  if (key === undefined || positionals.length > 1) throw new TierdropError('invalid_input', `Name exactly one key to download.\n${USAGE}`);
  const from = destination(values.from as string | undefined, '--from');
  if (typeof values.output !== 'string') throw new TierdropError('invalid_input', `-o FILE is required.\n${USAGE}`);
  const target = resolve(values.output);
  const store = openStore(from, {});
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
