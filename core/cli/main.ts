// The `tierdrop` command. Each subcommand lives in commands/ and validates its own arguments at
// the boundary; the work is done by SyncService, the same service the desktop app drives.
import { toErrorInfo } from '../errors/index.js';
import { resolveHome } from '../service/home.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './args.js';
import { describeError } from './output.js';

type Run = (args: string[]) => Promise<number> | number;

interface Command {
  usage: string;
  /**
   * Loads the command's module when it is the one asked for: every module a process loads stays
   * resident, and an upload has no use for the loopback host, the browser opener or the watcher.
   */
  load: () => Promise<Run>;
}

const COMMANDS: Record<string, Command> = {
  upload: { usage: 'upload PATH... --to URL [--part-size SIZE] [--concurrency N] [--json]', load: async () => (await import('./commands/upload.js')).upload },
  resume: { usage: 'resume [--json]', load: async () => (await import('./commands/resume.js')).resume },
  status: { usage: 'status [--json] [--all]', load: async () => (await import('./commands/status.js')).status },
  cancel: { usage: 'cancel ID...', load: async () => (await import('./commands/cancel.js')).cancel },
  get: { usage: 'get KEY --from URL -o FILE', load: async () => (await import('./commands/get.js')).get },
  sync: {
    usage: 'sync PATH --to URL [--watch] [--delete] [--follow-symlinks] [--json] | sync --list | sync --remove ID',
    load: async () => (await import('./commands/sync.js')).sync,
  },
  serve: { usage: 'serve [--port P] [--no-open]', load: async () => (await import('./commands/serve.js')).serve },
  app: { usage: 'app [--no-open]', load: async () => (await import('./commands/app.js')).app },
  ls: { usage: 'ls --to URL [--json]', load: async () => (await import('./commands/ls.js')).ls },
  rm: { usage: 'rm KEY --from URL', load: async () => (await import('./commands/rm.js')).rm },
  sweep: { usage: 'sweep --to URL [--older-than DURATION] [--yes]', load: async () => (await import('./commands/sweep.js')).sweep },
};

function usage(): string {
  const lines = Object.values(COMMANDS).map((command) => `  tierdrop ${command.usage}`);
  return `Usage:
${lines.join('\n')}

URLs: file:///absolute/folder  or  s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
Journal and settings live in $TIERDROP_HOME (now: ${resolveHome()}).`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n${usage()}\n`);
    return EXIT_USAGE;
  }
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    const info = toErrorInfo(error);
    process.stderr.write(`tierdrop: ${describeError(info)}\n`);
    return info.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
  }
}
