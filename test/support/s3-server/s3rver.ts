// The third-party s3rver emulator, started the way our tests need it: on a free loopback port over a
// temporary folder, with one bucket. It is the store that ignores conditional writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }; // the only pair it accepts

export interface RunningS3rver {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startS3rver(bucket: string): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'tierdrop-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
