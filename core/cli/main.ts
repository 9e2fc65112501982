// The `tierdrop` command. Each subcommand lives in commands/ and validates its own arguments at
// the boundary; the work is done by SyncService, the same service the desktop app drives.
import { toErrorInfo } from '../errors/index.js';
import { resolveHome } from '../service/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './args.js';
import { app } from './commands/app.js';
import { cancel } from './commands/cancel.js';
import { get } from './commands/get.js';
import { ls } from './commands/ls.js';
import { resume } from './commands/resume.js';
import { serve } from './commands/serve.js';
import { rm } from './commands/rm.js';
import { status } from './commands/status.js';
import { sync } from './commands/sync.js';
import { sweep } from './commands/sweep.js';
import { upload } from './commands/upload.js';
import { describeError } from './output.js';

interface Command {
  usage: string;
  run: (args: string[]) => Promise<number> | number;
}

const COMMANDS: Record<string, Command> = {
  upload: { usage: 'upload PATH... --to URL [--part-size SIZE] [--concurrency N] [--json]', run: upload },
  resume: { usage: 'resume [--json]', run: resume },
  status: { usage: 'status [--json] [--all]', run: status },
  cancel: { usage: 'cancel ID...', run: cancel },
  get: { usage: 'get KEY --from URL -o FILE', run: get },
  sync: { usage: 'sync PATH --to URL [--watch] [--delete] [--follow-symlinks] [--json] | sync --list | sync --remove ID', run: sync },
  serve: { usage: 'serve [--port P] [--no-open]', run: serve },
  app: { usage: 'app [--no-open]', run: app },
  ls: { usage: 'ls --to URL [--json]', run: ls },
  rm: { usage: 'rm KEY --from URL', run: rm },
  sweep: { usage: 'sweep --to URL [--older-than DURATION] [--yes]', run: sweep },
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
    return await command.run(rest);
  } catch (error) {
    const info = toErrorInfo(error);
    process.stderr.write(`tierdrop: ${describeError(info)}\n`);
    return info.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
  }
}
