// s3rver (the third-party S3 emulator) in a process of its own, so the benchmark measures clients
// against a server whose CPU is not shared with the bench driver. Prints `listening URL` once.
//   tsx bench/s3rver-serve.ts --data DIR --bucket NAME
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

const { values } = parseArgs({ options: { data: { type: 'string' }, bucket: { type: 'string', multiple: true, default: [] } } });
if (values.data === undefined) throw new Error('--data DIR is required');
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: values.data,
  configureBuckets: values.bucket.map((name) => ({ name })),
});
const address = await server.run();
process.stdout.write(`listening http://127.0.0.1:${address.port}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
