// The two stores the benchmark runs against, each in its own process on loopback: our S3 protocol
// test server and the third-party s3rver. Both are started fresh per case so disks stay small.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type ServerKind = 'test-server' | 's3rver';

export interface BenchServer {
  kind: ServerKind;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Query parameters Tierdrop's URL needs for this server (s3rver cannot read checksum trailers). */
  tierdropQuery: string;
  /** Whether SDK clients must send checksums only when required (s3rver). */
  sdkChecksumsWhenRequired: boolean;
  pid: number;
  stop: () => Promise<void>;
}

const ROOT = join(import.meta.dirname, '..');
const TSX_IMPORT = ['--import', 'tsx'];

export async function startServer(kind: ServerKind, dataDir: string, bucket: string, extraArgs: string[] = []): Promise<BenchServer> {
  mkdirSync(dataDir, { recursive: true });
  const script = kind === 'test-server' ? join(ROOT, 'test', 'support', 'serve.ts') : join(ROOT, 'bench', 's3rver-serve.ts');
  const args =
    kind === 'test-server'
      ? [...TSX_IMPORT, script, 's3', '--port', '0', '--data', dataDir, '--bucket', bucket, ...extraArgs]
      : [...TSX_IMPORT, script, '--data', dataDir, '--bucket', bucket];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  const endpoint = await listeningLine(child);
  const test = kind === 'test-server';
  return {
    kind,
    endpoint,
    bucket,
    accessKeyId: test ? 'tierdrop-test' : 'S3RVER',
    secretAccessKey: test ? 'tierdrop-test-secret' : 'S3RVER',
    tierdropQuery: test ? '' : '&checksum=none',
    sdkChecksumsWhenRequired: !test,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function listeningLine(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /listening (http:\/\/\S+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

/** GET /__admin/stats of the test server. */
export async function testServerStats(endpoint: string): Promise<{ partBytesReceived: number; objectBytesReceived: number; requests: Record<string, number> }> {
  const answer = await fetch(`${endpoint}/__admin/stats`);
  return (await answer.json()) as { partBytesReceived: number; objectBytesReceived: number; requests: Record<string, number> };
}

/** Our GCS JSON-API test server in its own process; anonymous access, as on any loopback endpoint. */
export interface GcsBenchServer {
  kind: 'gcs-test-server';
  endpoint: string;
  bucket: string;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts test/support/serve.ts gcs on a free loopback port; `extraArgs` are its fault flags. */
export async function startGcsServer(dataDir: string, bucket: string, extraArgs: string[] = []): Promise<GcsBenchServer> {
  mkdirSync(dataDir, { recursive: true });
  const script = join(ROOT, 'test', 'support', 'serve.ts');
  const args = [...TSX_IMPORT, script, 'gcs', '--port', '0', '--data', dataDir, '--bucket', bucket, ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  const endpoint = await listeningLine(child);
  return {
    kind: 'gcs-test-server',
    endpoint,
    bucket,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
