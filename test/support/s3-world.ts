// One S3 test server per test file, a scratch folder beside it, and clean-ups that run after each
// test (and faults reset), registered with vitest's hooks by the test file that calls useS3World.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tempDir } from './files.js';
import { startS3TestServer, type S3TestServer } from './s3-server/index.js';
import { useTestCredentials } from './service.js';

export interface S3World {
  /** The server, started before the file's first test. */
  readonly server: S3TestServer;
  /** A scratch folder for source files and local stores, removed after the file's last test. */
  readonly scratch: string;
  /** Runs `cleanup` after the current test, newest first. */
  defer(cleanup: () => Promise<void> | void): void;
  /** A destination URL on the server's bucket under `prefix`, with extra query parameters. */
  url(prefix: string, query?: string): string;
}

export function useS3World(label: string): S3World {
  let server: S3TestServer | undefined;
  const data = tempDir(`${label}-s3`);
  const scratch = tempDir(label);
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    useTestCredentials();
    server = await startS3TestServer({ dataDir: data.path, buckets: ['bucket'] });
  });
  afterEach(async () => {
    server?.setFaults({});
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  afterAll(async () => {
    await server?.close();
    data.cleanup();
    scratch.cleanup();
  });

  return {
    get server() {
      if (server === undefined) throw new Error('the S3 test server starts in beforeAll');
      return server;
    },
    scratch: scratch.path,
    defer: (cleanup) => void cleanups.push(cleanup),
    url: (prefix, query = '') => `s3://bucket/${prefix}?endpoint=${encodeURIComponent(server?.endpoint ?? '')}&region=us-east-1${query}`,
  };
}
