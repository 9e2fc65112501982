// Running one tool as a child process and measuring it from outside: wall time, and the peak
// resident memory of its whole process tree (a wrapper script and its interpreter count as one tool).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';

const SAMPLE_EVERY_MS = 25; // VmHWM is the kernel's own high-water mark, so sampling only has to see each pid once

export interface Measured {
  seconds: number;
  peakRssBytes: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

export interface RunSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A running tool with its tree's memory sampled until it exits. */
export interface RunningTool {
  child: ChildProcess;
  done: Promise<Measured>;
}

export function startTool(spec: RunSpec): RunningTool {
  const startedNs = process.hrtime.bigint();
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(spec.command, spec.args, {
    env,
    cwd: spec.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const peakByPid = new Map<number, number>();
  const sample = () => {
    if (child.pid === undefined) return;
    for (const pid of processTree(child.pid)) {
      const peak = peakRssOf(pid);
      if (peak > (peakByPid.get(pid) ?? 0)) peakByPid.set(pid, peak);
    }
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  sample();
  const done = once(child, 'exit').then(([code, signal]) => {
    clearInterval(sampler);
    let peakRssBytes = 0;
    for (const peak of peakByPid.values()) peakRssBytes += peak;
    return {
      seconds: Number(process.hrtime.bigint() - startedNs) / 1e9,
      peakRssBytes,
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stderrTail: stderr,
    };
  });
  return { child, done };
}

export async function runTool(spec: RunSpec, label: string): Promise<Measured> {
  const measured = await startTool(spec).done;
  if (measured.code !== 0) throw new Error(`${label} exited with ${measured.code ?? measured.signal}: ${measured.stderrTail.slice(-1500)}`);
  return measured;
}

/** The pid and every descendant, from the kernel's per-thread children lists. */
export function processTree(rootPid: number): number[] {
  const seen: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop();
    if (pid === undefined) break;
    seen.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        if (children !== '') for (const child of children.split(/\s+/)) queue.push(Number(child));
      } catch {
        // the thread ended between the listing and the read
      }
    }
  }
  return seen;
}

/** The kernel's peak resident set of one process, 0 once it is gone. */
export function peakRssOf(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Kills the tool and everything it started, at once (the crash case's SIGKILL). */
export function killTree(rootPid: number): void {
  for (const pid of processTree(rootPid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
