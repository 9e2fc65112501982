// `tierdrop sync`: keep a folder synced to a destination, once or watching (--watch), and list or
// remove the sync roots kept in the journal.
import { SyncRootView, type SyncDeletions } from '../../contract/index.js';
import { TierdropError } from '../../errors/index.js';
import { Journal } from '../../journal/index.js';
import { SyncService, journalPath, resolveHome } from '../../service/index.js';
import { rootView } from '../../sync/index.js';
import { EXIT_FAILED, EXIT_OK, USAGE_HINT, destination, parse } from '../args.js';
import { humanOutput, jsonOutput, type Output } from '../output.js';

export async function sync(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    to: { type: 'string' },
    watch: { type: 'boolean', default: false },
    delete: { type: 'boolean', default: false },
    'follow-symlinks': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    remove: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const json = values.json === true;
  if (values.list === true) return list(json);
  if (typeof values.remove === 'string') return remove(values.remove, json);
  const [folder, ...extra] = positionals;
  if (folder === undefined || extra.length > 0) {
    throw new TierdropError('invalid_input', `Name exactly one folder to sync.\n${USAGE_HINT}`);
  }
  const to = destination(values.to as string | undefined, '--to');
  const deletions: SyncDeletions = values.delete === true ? 'mirror' : 'keep';
  const options = { deletions, followSymlinks: values['follow-symlinks'] === true };
  return values.watch === true ? watch(folder, to, options, json) : once(folder, to, options, json);
}

type RootOptions = { deletions: SyncDeletions; followSymlinks: boolean };

/** Opens the service with every saved root asleep; `--watch` wakes them once its own root is added. */
function open(output: Output): SyncService {
  const { service, warnings } = SyncService.open(resolveHome(), {}, { syncRoots: 'off' });
  for (const warning of warnings) output.info(warning);
  return service;
}

interface Follower {
  /** Prints the problems of `root` not printed yet. */
  problems(root: SyncRootView): void;
  stop(): void;
}

/** Streams events (all of them with --json) and prints each problem of the root once. */
function follow(service: SyncService, output: Output, json: boolean): Follower {
  const shown = new Set<string>();
  const problems = (root: SyncRootView) => {
    for (const problem of [...root.errors].reverse()) {
      const id = `${problem.at}\0${problem.path}\0${problem.error.message}`;
      if (shown.has(id)) continue;
      shown.add(id);
      output.problem(problem.path, problem.error);
    }
  };
  const stop = service.on((event) => {
    if (json || event.type !== 'sync.updated') output.event(event);
    if (event.type === 'sync.updated') problems(event.root);
  });
  return { problems, stop };
}

async function once(folder: string, to: string, options: RootOptions, json: boolean): Promise<number> {
  const output = json ? jsonOutput() : humanOutput();
  const service = open(output);
  const follower = follow(service, output, json);
  try {
    const added = await service.sync.add(folder, to, options, 'once');
    await service.sync.whenIdle(added.id);
    const root = service.sync.get(added.id);
    output.finish();
    follower.problems(root);
    if (json) output.event({ type: 'sync.updated', root });
    output.info(`${root.folder}: ${root.pendingCount} pending, ${root.failedCount} could not be uploaded.`);
    return root.failedCount === 0 && root.error === null ? EXIT_OK : EXIT_FAILED;
  } finally {
    follower.stop();
    await service.dispose();
  }
}

async function watch(folder: string, to: string, options: RootOptions, json: boolean): Promise<number> {
  const output = json ? jsonOutput() : humanOutput();
  const service = open(output);
  const follower = follow(service, output, json);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    const added = await service.sync.add(folder, to, options, 'watch');
    output.info(`Watching ${added.folder} → ${added.destination} (sync root ${added.id.slice(0, 8)}). Ctrl-C stops; \`tierdrop sync ${added.folder} --to … --watch\` continues.`);
    // Running until stopped, like `serve`: every other saved root that is not paused watches too.
    // Started after the named one is added, so that root is not started twice.
    service.sync.startAll();
    const others = service.sync.list().filter((root) => root.id !== added.id && root.state !== 'paused').length;
    if (others > 0) output.info(`Also watching ${others} other saved sync root${others === 1 ? '' : 's'} (\`tierdrop sync --list\`).`);
    await stopped;
    return EXIT_OK;
  } finally {
    follower.stop();
    output.finish();
    await service.dispose();
  }
}

/** Reads the roots from the journal without the engine lock: a watcher may be running right now. */
function list(json: boolean): number {
  const { journal, report } = Journal.open(journalPath(resolveHome()));
  if (report.reason !== null) process.stderr.write(`${report.reason}\n`);
  try {
    const views = journal.syncIndex.listRoots().map((row) => SyncRootView.parse(rootView(row, journal.syncIndex, null)));
    if (json) {
      process.stdout.write(`${JSON.stringify(views)}\n`);
      return EXIT_OK;
    }
    if (views.length === 0) {
      process.stdout.write('No sync roots. Add one with `tierdrop sync PATH --to URL --watch`.\n');
      return EXIT_OK;
    }
    for (const view of views) {
      const last = view.lastSyncedAt === null ? 'never' : new Date(view.lastSyncedAt).toISOString();
      const paused = view.state === 'paused' ? '  paused' : '';
      process.stdout.write(
        `${view.id.slice(0, 8)}  ${view.folder} → ${view.destination}  deletions: ${view.options.deletions}  pending: ${view.pendingCount}  failed: ${view.failedCount}  last synced: ${last}${paused}\n`,
      );
    }
    return EXIT_OK;
  } finally {
    journal.close();
  }
}

async function remove(id: string, json: boolean): Promise<number> {
  const output = json ? jsonOutput() : humanOutput();
  const service = open(output);
  try {
    const removed = await service.sync.remove(id);
    output.info(`Removed sync root ${removed.id}; what it uploaded stays in the store.`);
    return EXIT_OK;
  } finally {
    await service.dispose();
  }
}
