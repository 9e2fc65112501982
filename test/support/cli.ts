// Runs the real `tierdrop` command in a child process, as a person (or a crash test) would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

export const CLI_PATH = fileURLToPath(new URL('../../bin/tierdrop.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Each complete stdout line parsed as JSON (for --json runs). */
  events: () => Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onEvent: (listener: (event: Record<string, unknown>) => void) => void;
}

export interface CliOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run as root without its power to read any file (CAP_DAC_OVERRIDE), so a test can show what a
   * person sees for a file they may not read. Needs util-linux's setpriv.
   */
  withoutRootFileAccess?: boolean;
}

export function startCli(args: string[], options: CliOptions): CliRun {
  const dropAccess = options.withoutRootFileAccess === true && process.getuid?.() === 0;
  const command = dropAccess ? 'setpriv' : process.execPath;
  const commandArgs = dropAccess
    ? ['--bounding-set', '-dac_override,-dac_read_search', process.execPath, CLI_PATH, ...args]
    : [CLI_PATH, ...args];
  const child = spawn(command, commandArgs, {
    env: {
      ...process.env,
      TIERDROP_HOME: options.home,
      AWS_ACCESS_KEY_ID: 'tierdrop-test',
      AWS_SECRET_ACCESS_KEY: 'tierdrop-test-secret',
      AWS_REGION: 'us-east-1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let pending = '';
  const events: Array<Record<string, unknown>> = [];
  const listeners: Array<(event: Record<string, unknown>) => void> = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (!line.startsWith('{')) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        for (const listener of listeners) listener(event);
      } catch {
        // not an event line
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err += text;
  });
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    events: () => events,
    exited,
    onEvent: (listener) => listeners.push(listener),
  };
}

export async function runCli(args: string[], options: CliOptions): Promise<{ code: number | null; stdout: string; stderr: string; events: Array<Record<string, unknown>> }> {
  const run = startCli(args, options);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr(), events: run.events() };
}
