// The tools compared, each as the command a person would run, configured alike where the tool
// allows it: same part size, same number of requests in flight, path-style addressing, us-east-1.
// Tierdrop runs through its real CLI; lib-storage through a small driver script of ours.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from './measure.js';
import type { BenchServer } from './servers.js';

/**
 * `tierdrop` is the CLI as shipped: a tiered destination (small files inline in HV with a
 * compare-and-write, large ones as LT revisions committed by a tombstone). `tierdrop-direct` is
 * the same CLI with `?mode=direct`: plain objects at their keys, exactly the job the peers do.
 */
export type ToolName = 'tierdrop' | 'tierdrop-direct' | 'tierdrop-baseline' | 'lib-storage' | 'awscli' | 'rclone';
/**
 * `tierdrop-baseline` is the shipped CLI from another build (BASELINE_CLI_ENV names its launcher), run
 * only when asked for with `--tool tierdrop-baseline`: a before/after of a change in the same run.
 */
export const BASELINE: ToolName = 'tierdrop-baseline';
export const BASELINE_CLI_ENV = 'TIERDROP_BENCH_BASELINE_CLI';
export const OURS: readonly ToolName[] = ['tierdrop', 'tierdrop-direct', BASELINE];
export const PEERS: readonly ToolName[] = ['lib-storage', 'awscli', 'rclone'];
/** Every tool a plain `npm run bench` runs. */
export const TOOLS: readonly ToolName[] = [...OURS.filter((tool) => tool !== BASELINE), ...PEERS];

export const AWS_BIN = '/usr/bin/aws'; // Debian's awscli, not whatever a pyenv shim puts first on PATH
export const RCLONE_BIN = '/usr/bin/rclone';

export interface TransferSettings {
  partSizeBytes: number;
  /** Requests in flight: parts of one file, or files. */
  concurrency: number;
}

export interface UploadJob {
  server: BenchServer;
  /** A file or a folder (uploaded with everything in it). */
  sourcePath: string;
  isFolder: boolean;
  /** Key prefix in the bucket, unique per run. */
  prefix: string;
  settings: TransferSettings;
  /** Scratch folder for this run's configuration and journal. */
  workDir: string;
}

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'tierdrop.js');
const JOURNAL_TIMER = join(ROOT, 'bench', 'journal-timer.mjs');
const LIB_STORAGE_DRIVER = join(ROOT, 'bench', 'lib-storage-upload.ts');

export function journalStatsPath(job: UploadJob): string {
  return join(job.workDir, 'journal-stats.json');
}

/** The command that uploads the job's source with `tool`. */
export function uploadCommand(tool: ToolName, job: UploadJob): RunSpec {
  mkdirSync(job.workDir, { recursive: true });
  switch (tool) {
    case 'tierdrop':
    case 'tierdrop-direct':
    case 'tierdrop-baseline':
      return tierdrop(
        job,
        ['upload', job.sourcePath, '--to', tierdropUrl(job, tool === 'tierdrop-direct'), '--part-size', `${job.settings.partSizeBytes}`, '--concurrency', `${job.settings.concurrency}`],
        tool === BASELINE ? baselineCli() : undefined,
      );
    case 'lib-storage':
      return {
        command: process.execPath,
        args: [
          '--import',
          'tsx',
          LIB_STORAGE_DRIVER,
          '--endpoint',
          job.server.endpoint,
          '--bucket',
          job.server.bucket,
          '--prefix',
          job.prefix,
          '--part-size',
          `${job.settings.partSizeBytes}`,
          '--concurrency',
          `${job.settings.concurrency}`,
          ...(job.server.sdkChecksumsWhenRequired ? ['--checksums-when-required'] : []),
          job.sourcePath,
        ],
        env: credentials(job.server),
        cwd: ROOT,
      };
    case 'awscli':
      return awscli(job);
    case 'rclone':
      return rclone(job);
  }
}

/** How `tool` finishes a job it was killed in the middle of: Tierdrop resumes, the peers start again. */
export function finishCommand(tool: ToolName, job: UploadJob): RunSpec {
  if (OURS.includes(tool)) return tierdrop(job, ['resume'], tool === BASELINE ? baselineCli() : undefined);
  return uploadCommand(tool, job);
}

function tierdropUrl(job: UploadJob, direct: boolean): string {
  return `s3://${job.server.bucket}/${job.prefix}?endpoint=${encodeURIComponent(job.server.endpoint)}&region=us-east-1${job.server.tierdropQuery}${direct ? '&mode=direct' : ''}`;
}

function baselineCli(): string {
  const launcher = process.env[BASELINE_CLI_ENV];
  if (launcher === undefined || launcher === '') throw new Error(`${BASELINE} needs ${BASELINE_CLI_ENV}: a launcher .mjs that imports the baseline build's core/cli/main.js`);
  return launcher;
}

function tierdrop(job: UploadJob, args: string[], cli = process.env['TIERDROP_BENCH_CLI'] ?? CLI): RunSpec {
  return {
    command: process.execPath,
    args: ['--import', JOURNAL_TIMER, cli, ...args],
    env: {
      ...credentials(job.server),
      TIERDROP_HOME: join(job.workDir, 'tierdrop-home'),
      TIERDROP_BENCH_JOURNAL_STATS: journalStatsPath(job),
    },
    cwd: ROOT,
  };
}

function credentials(server: BenchServer): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
}

function awscli(job: UploadJob): RunSpec {
  const config = join(job.workDir, 'aws-config');
  const mib = Math.max(5, Math.round(job.settings.partSizeBytes / (1024 * 1024)));
  writeFileSync(
    config,
    [
      '[default]',
      'region = us-east-1',
      's3 =',
      `  multipart_chunksize = ${mib}MB`,
      `  multipart_threshold = ${mib}MB`,
      `  max_concurrent_requests = ${job.settings.concurrency}`,
      '  addressing_style = path',
      '',
    ].join('\n'),
  );
  const target = `s3://${job.server.bucket}/${job.prefix}/`;
  return {
    command: AWS_BIN,
    args: ['s3', 'cp', job.sourcePath, target, '--endpoint-url', job.server.endpoint, '--only-show-errors', '--no-progress', ...(job.isFolder ? ['--recursive'] : [])],
    env: {
      ...credentials(job.server),
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(job.workDir, 'no-credentials-file'),
      AWS_PAGER: '',
    },
  };
}

function rclone(job: UploadJob): RunSpec {
  const config = join(job.workDir, 'rclone.conf');
  writeFileSync(
    config,
    [
      '[bench]',
      'type = s3',
      'provider = Other',
      `access_key_id = ${job.server.accessKeyId}`,
      `secret_access_key = ${job.server.secretAccessKey}`,
      `endpoint = ${job.server.endpoint}`,
      'region = us-east-1',
      'force_path_style = true',
      '',
    ].join('\n'),
  );
  const mib = Math.max(5, Math.round(job.settings.partSizeBytes / (1024 * 1024)));
  return {
    command: RCLONE_BIN,
    args: [
      'copy',
      job.sourcePath,
      `bench:${job.server.bucket}/${job.prefix}`,
      '--config',
      config,
      '--transfers',
      `${job.settings.concurrency}`,
      '--checkers',
      `${job.settings.concurrency}`,
      '--s3-upload-concurrency',
      `${job.settings.concurrency}`,
      '--s3-chunk-size',
      `${mib}M`,
      '--s3-upload-cutoff',
      `${mib}M`,
      '--s3-no-check-bucket',
      '--retries',
      '1',
    ],
    // rclone refuses a custom CA bundle on a plain-HTTP transport, and the store here is plain HTTP.
    env: { RCLONE_CONFIG: config, AWS_CA_BUNDLE: undefined },
  };
}
