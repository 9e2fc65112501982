// Benchmarks, run on demand (`npm run bench`), never in CI: figures on this machine, this run.
// Each case uploads through the real CLI in a child process to the S3 test server running in
// another child process, so neither's memory or CPU is counted as the other's.
//
//   npm run bench                       # every case
//   npm run bench -- --case rss-2g      # one case
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GiB, MiB } from '../core/contract/index.js';
import { formatBytes } from '../core/transfer/index.js';
import { CLI_PATH } from '../test/support/cli.js';
import { writeRandomFile } from '../test/support/files.js';

interface CaseResult {
  name: string;
  sizeBytes: number;
  seconds: number;
  peakRssBytes: number;
}

interface BenchCase {
  name: string;
  sizeBytes: number;
  partSize: string;
  concurrency: number;
}

const CASES: BenchCase[] = [
  { name: 'rss-256m', sizeBytes: 256 * MiB, partSize: '16MiB', concurrency: 8 },
  { name: 'rss-2g', sizeBytes: 2 * GiB, partSize: '16MiB', concurrency: 8 },
];

const TEST_SERVER = join(import.meta.dirname, '..', 'test', 'support', 'serve.ts');

async function startServer(dataDir: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', TEST_SERVER, 's3', '--port', '0', '--data', dataDir, '--bucket', 'bench'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /listening (http:\/\/\S+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
  });
  return {
    endpoint,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Peak resident memory of a running process, from the kernel's high-water mark. */
function peakRssBytes(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function runCase(bench: BenchCase, work: string, endpoint: string): Promise<CaseResult> {
  const source = join(work, `${bench.name}.bin`);
  writeRandomFile(source, bench.sizeBytes);
  const url = `s3://bench/${bench.name}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI_PATH, 'upload', source, '--to', url, '--part-size', bench.partSize, '--concurrency', String(bench.concurrency)], {
    env: { ...process.env, TIERDROP_HOME: join(work, `home-${bench.name}`), AWS_ACCESS_KEY_ID: 'tierdrop-test', AWS_SECRET_ACCESS_KEY: 'tierdrop-test-secret' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const sampler = setInterval(() => {
    if (child.pid !== undefined) peak = Math.max(peak, peakRssBytes(child.pid));
  }, 50);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(source, { force: true });
  if (code !== 0) throw new Error(`${bench.name}: tierdrop exited with ${code}`);
  return { name: bench.name, sizeBytes: bench.sizeBytes, seconds, peakRssBytes: peak };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { case: { type: 'string', multiple: true } } });
  const wanted = values.case ?? CASES.map((bench) => bench.name);
  const work = mkdtempSync(join(tmpdir(), 'tierdrop-bench-'));
  const server = await startServer(join(work, 'store'));
  try {
    const results: CaseResult[] = [];
    for (const bench of CASES.filter((candidate) => wanted.includes(candidate.name))) {
      const result = await runCase(bench, work, server.endpoint);
      results.push(result);
      process.stdout.write(
        `${result.name.padEnd(10)} ${formatBytes(result.sizeBytes).padStart(9)}  ${result.seconds.toFixed(1).padStart(6)} s  ${formatBytes(result.sizeBytes / result.seconds).padStart(9)}/s  peak RSS ${formatBytes(result.peakRssBytes)}\n`,
      );
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
