// The server ceiling: one streaming PUT of the file, the least work any client can do to put
// these bytes in this store. No checksum, no parts, one connection.
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string', default: 'ceiling' },
    /** Where to write {"seconds": N}: the PUT alone, without this process's start-up. */
    out: { type: 'string' },
  },
});
const source = positionals[0];
if (values.endpoint === undefined || values.bucket === undefined || source === undefined) {
  throw new Error('usage: ceiling-put.ts --endpoint URL --bucket NAME PATH');
}
const client = new S3Client({
  endpoint: values.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const startedNs = process.hrtime.bigint();
await client.send(
  new PutObjectCommand({
    Bucket: values.bucket,
    Key: `${values.prefix}/${basename(source)}`,
    Body: createReadStream(source, { highWaterMark: 1024 * 1024 }),
    ContentLength: statSync(source).size,
  }),
);
const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
if (values.out !== undefined) writeFileSync(values.out, JSON.stringify({ seconds }));
client.destroy();
