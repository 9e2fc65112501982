// What the figures were measured on, for the report: CPU, memory, kernel, Node and tool versions.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { AWS_BIN, RCLONE_BIN } from './tools.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  awscli: string;
  rclone: string;
  libStorage: string;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    awscli: version(AWS_BIN, ['--version']),
    rclone: version(RCLONE_BIN, ['version']).split('\n')[0] ?? '',
    libStorage: version(process.execPath, ['-p', "require('@aws-sdk/lib-storage/package.json').version"]),
  };
}

/** 1-, 5- and 15-minute load averages: the machine is shared, so the report says how busy it was. */
export function loadAverage(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not installed';
  }
}
