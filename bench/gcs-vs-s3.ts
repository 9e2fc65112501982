// Throughput of one 256 MiB upload through the real CLI to our GCS test server and to our S3 test
// server, on this machine in the same run, each server in its own process. Runs alternate
// (S3, GCS, S3, GCS…) so a machine that gets busier mid-run skews both alike.
//
//   npx tsx bench/gcs-vs-s3.ts [--rounds N] [--size-mib N] [--part-size 16MiB] [--concurrency 8]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MiB } from '../core/contract/index.js';
import { CLI_PATH } from '../test/support/cli.js';
import { writeRandomFile } from '../test/support/files.js';

type Kind = 's3' | 'gcs';

const SERVE = join(import.meta.dirname, '..', 'test', 'support', 'serve.ts');
const BUCKET = 'bench';

interface Server {
  endpoint: string;
  stop: () => Promise<void>;
}

async function startServer(kind: Kind, dataDir: string): Promise<Server> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, kind, '--port', '0', '--data', dataDir, '--bucket', BUCKET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await listening(child);
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /listening (http:\/\/\S+)/.exec(text);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`test server exited with ${String(code)}`)));
  });
}

function destination(kind: Kind, endpoint: string, run: number): string {
  const query = `endpoint=${encodeURIComponent(endpoint)}&mode=direct`;
  return kind === 's3' ? `s3://${BUCKET}/run-${run}?${query}&region=us-east-1` : `gs://${BUCKET}/run-${run}?${query}`;
}

async function upload(source: string, url: string, home: string, partSize: string, concurrency: number): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI_PATH, 'upload', source, '--to', url, '--part-size', partSize, '--concurrency', String(concurrency)], {
    env: { ...process.env, TIERDROP_HOME: home, AWS_ACCESS_KEY_ID: 'tierdrop-test', AWS_SECRET_ACCESS_KEY: 'tierdrop-test-secret', AWS_REGION: 'us-east-1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tierdrop upload to ${url} exited with ${String(code)}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '2' },
      'size-mib': { type: 'string', default: '256' },
      'part-size': { type: 'string', default: '16MiB' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const rounds = Number(values.rounds);
  const sizeBytes = Number(values['size-mib']) * MiB;
  const concurrency = Number(values.concurrency);
  const work = mkdtempSync(join(tmpdir(), 'tierdrop-gcs-vs-s3-'));
  const servers: Record<Kind, Server | null> = { s3: null, gcs: null };
  try {
    const source = join(work, 'source.bin');
    writeRandomFile(source, sizeBytes);
    servers.s3 = await startServer('s3', join(work, 's3-data'));
    servers.gcs = await startServer('gcs', join(work, 'gcs-data'));
    const results: Record<Kind, number[]> = { s3: [], gcs: [] };
    for (let run = 1; run <= rounds; run += 1) {
      for (const kind of ['s3', 'gcs'] as const) {
        const server = servers[kind];
        if (server === null) continue;
        const seconds = await upload(source, destination(kind, server.endpoint, run), join(work, `home-${kind}-${run}`), values['part-size'], concurrency);
        results[kind].push(seconds);
        process.stdout.write(`${kind.padEnd(4)} run ${run}: ${(sizeBytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(2)} s = ${(sizeBytes / MiB / seconds).toFixed(1)} MiB/s\n`);
      }
    }
    for (const kind of ['s3', 'gcs'] as const) {
      const times = results[kind];
      const best = Math.min(...times);
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? best;
      process.stdout.write(`${kind.padEnd(4)} best ${(sizeBytes / MiB / best).toFixed(1)} MiB/s, median ${(sizeBytes / MiB / median).toFixed(1)} MiB/s over ${times.length} runs\n`);
    }
  } finally {
    await servers.s3?.stop();
    await servers.gcs?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
