// Runs a protocol test server in its own process, for benchmarks, crash tests and manual poking:
//   tsx test/support/serve.ts s3 --port P --data DIR [--bucket NAME …] [fault flags]
//   tsx test/support/serve.ts gcs --port P --data DIR [--bucket NAME …] [fault flags]
// Prints exactly one line, `listening http://127.0.0.1:P`, and serves until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { GcsFaultsSchema, startGcsTestServer, type GcsFaults } from './gcs-server/index.js';
import { S3FaultsSchema, startS3TestServer, type S3Faults } from './s3-server/index.js';

const USAGE = `usage: serve.ts <kind> [options]
kinds:
  s3    S3 protocol test server
  gcs   GCS JSON API test server
options (s3):
  --port N                  port on 127.0.0.1 (default 0: a free one)
  --data DIR                data folder (required)
  --bucket NAME             bucket to create at start (repeatable)
  --access-key ID:SECRET    credentials to accept instead of the defaults (repeatable)
  --error-rate OP=P         probability of 500 InternalError for an operation or '*' (repeatable)
  --reset-rate OP=P         probability of a connection reset mid-body (repeatable)
  --latency-ms N            delay before answering every request
  --fail-nth N,N            request numbers answered 500 InternalError
  --complete-error-rate P   probability CompleteMultipartUpload answers 200 with an <Error> body
  --throttle BYTES_PER_SEC  read request bodies no faster than this
  --unsupported OP,OP       operations answered 501 NotImplemented
  --min-part-bytes N        smallest part but the last (default 5 MiB)
  --seed N                  seed of the fault PRNG
options (gcs):
  --port N, --data DIR, --bucket NAME, --latency-ms N, --fail-nth N,N, --throttle BYTES_PER_SEC,
  --seed N                  as for s3
  --error-rate OP=P         probability of 503 backendError for an operation ('objects.insert'…) or '*'
  --reset-rate OP=P         probability of a connection reset mid-body
  --deny 401|403            answer every API request with this status
`;

class UsageError extends Error {}

const NonNegativeInt = z.coerce.number().int().min(0);

async function main(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 's3':
      await serveS3(rest);
      return;
    case 'gcs':
      await serveGcs(rest);
      return;
    default:
      throw new UsageError(kind === undefined ? 'missing server kind' : `unknown server kind "${kind}"`);
  }
}

async function serveS3(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '0' },
      data: { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      'access-key': { type: 'string', multiple: true, default: [] },
      'error-rate': { type: 'string', multiple: true, default: [] },
      'reset-rate': { type: 'string', multiple: true, default: [] },
      'latency-ms': { type: 'string' },
      'fail-nth': { type: 'string' },
      'complete-error-rate': { type: 'string' },
      throttle: { type: 'string' },
      unsupported: { type: 'string' },
      'min-part-bytes': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.data === undefined) throw new UsageError('--data DIR is required');

  const faults: S3Faults = {
    ...(values['error-rate'].length > 0 ? { errorRate: rates('--error-rate', values['error-rate']) } : {}),
    ...(values['reset-rate'].length > 0 ? { resetRate: rates('--reset-rate', values['reset-rate']) } : {}),
    ...(values['latency-ms'] === undefined ? {} : { latencyMs: number('--latency-ms', values['latency-ms']) }),
    ...(values['fail-nth'] === undefined
      ? {}
      : { failNth: values['fail-nth'].split(',').map((n) => number('--fail-nth', n)) }),
    ...(values['complete-error-rate'] === undefined
      ? {}
      : { completeErrorRate: Number(values['complete-error-rate']) }),
    ...(values.throttle === undefined ? {} : { throttleBytesPerSec: number('--throttle', values.throttle) }),
    ...(values.unsupported === undefined ? {} : { unsupported: values.unsupported.split(',').map((op) => op.trim()) }),
  };
  const checkedFaults = S3FaultsSchema.safeParse(faults);
  if (!checkedFaults.success) throw new UsageError(`invalid fault flags: ${checkedFaults.error.message}`);

  const server = await startS3TestServer({
    port: number('--port', values.port),
    dataDir: values.data,
    buckets: values.bucket,
    faults: checkedFaults.data,
    ...(values['access-key'].length > 0 ? { credentials: values['access-key'].map(credential) } : {}),
    ...(values['min-part-bytes'] === undefined
      ? {}
      : { minPartBytes: number('--min-part-bytes', values['min-part-bytes']) }),
    ...(values.seed === undefined ? {} : { seed: number('--seed', values.seed) }),
  });
  process.stdout.write(`listening ${server.endpoint}\n`);
  await closeOnSignal(() => server.close());
}

async function serveGcs(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '0' },
      data: { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      'error-rate': { type: 'string', multiple: true, default: [] },
      'reset-rate': { type: 'string', multiple: true, default: [] },
      'latency-ms': { type: 'string' },
      'fail-nth': { type: 'string' },
      throttle: { type: 'string' },
      deny: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.data === undefined) throw new UsageError('--data DIR is required');
  const faults: GcsFaults = {
    ...(values['error-rate'].length > 0 ? { errorRate: rates('--error-rate', values['error-rate']) } : {}),
    ...(values['reset-rate'].length > 0 ? { resetRate: rates('--reset-rate', values['reset-rate']) } : {}),
    ...(values['latency-ms'] === undefined ? {} : { latencyMs: number('--latency-ms', values['latency-ms']) }),
    ...(values['fail-nth'] === undefined ? {} : { failNth: values['fail-nth'].split(',').map((n) => number('--fail-nth', n)) }),
    ...(values.throttle === undefined ? {} : { throttleBytesPerSec: number('--throttle', values.throttle) }),
  };
  const checkedFaults = GcsFaultsSchema.safeParse(values.deny === undefined ? faults : { ...faults, deny: Number(values.deny) });
  if (!checkedFaults.success) throw new UsageError(`invalid fault flags: ${checkedFaults.error.message}`);
  const server = await startGcsTestServer({
    port: number('--port', values.port),
    dataDir: values.data,
    buckets: values.bucket,
    faults: checkedFaults.data,
    ...(values.seed === undefined ? {} : { seed: number('--seed', values.seed) }),
  });
  process.stdout.write(`listening ${server.endpoint}\n`);
  await closeOnSignal(() => server.close());
}

/** Resolves after a clean close on the first SIGTERM or SIGINT. */
async function closeOnSignal(close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

function rates(flag: string, pairs: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const pair of pairs) {
    const equals = pair.lastIndexOf('=');
    const probability = Number(pair.slice(equals + 1));
    if (equals <= 0 || pair.slice(equals + 1).trim() === '' || !Number.isFinite(probability)) {
      throw new UsageError(`${flag} expects OP=PROBABILITY, got "${pair}"`);
    }
    result[pair.slice(0, equals)] = probability;
  }
  return result;
}

function number(flag: string, text: string): number {
  const parsed = NonNegativeInt.safeParse(text.trim() === '' ? Number.NaN : text);
  if (!parsed.success) throw new UsageError(`${flag} expects a non-negative integer, got "${text}"`);
  return parsed.data;
}

function credential(pair: string): { accessKeyId: string; secretAccessKey: string } {
  const colon = pair.indexOf(':');
  if (colon <= 0 || colon === pair.length - 1) throw new UsageError(`--access-key expects ID:SECRET, got "${pair}"`);
  return { accessKeyId: pair.slice(0, colon), secretAccessKey: pair.slice(colon + 1) };
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const badArgs = error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    const usage = error instanceof UsageError || badArgs;
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage ? USAGE : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
