// The lib-storage peer: uploads a file, or every file in a folder, with @aws-sdk/lib-storage's
// Upload, the way an application built on the AWS SDK would. Files go `--concurrency` at a time,
// and each file's parts `--concurrency` at a time (Upload's queueSize).
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string', default: '' },
    'part-size': { type: 'string', default: String(16 * 1024 * 1024) },
    concurrency: { type: 'string', default: '8' },
    'checksums-when-required': { type: 'boolean', default: false },
  },
});
const source = positionals[0];
if (values.endpoint === undefined || values.bucket === undefined || source === undefined) {
  throw new Error('usage: lib-storage-upload.ts --endpoint URL --bucket NAME [--prefix P] PATH');
}
const bucket = values.bucket;
const partSize = Number(values['part-size']);
const concurrency = Number(values.concurrency);
const checksums = values['checksums-when-required'] ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
const client = new S3Client({
  endpoint: values.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: checksums,
  responseChecksumValidation: checksums,
});

async function listFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

async function uploadOne(path: string, key: string): Promise<void> {
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize,
    queueSize: concurrency,
  });
  await upload.done();
}

const prefix = values.prefix === '' ? '' : `${values.prefix}/`;
if ((await stat(source)).isDirectory()) {
  const files = await listFiles(source);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < files.length; index = next++) {
      const path = files[index];
      if (path !== undefined) await uploadOne(path, `${prefix}${relative(source, path)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
} else {
  await uploadOne(source, `${prefix}${basename(source)}`);
}
client.destroy();
