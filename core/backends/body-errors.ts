// A downloaded body can fail after its answer arrived (the connection cut mid-body). Its readers get
// that failure as a TierdropError naming the download, like every other store failure, instead of
// Node's bare "aborted".
import { PassThrough, type Readable } from 'node:stream';
import type { TierdropError } from '../errors/index.js';

/** `body` as a stream whose errors are `describe(error)`; destroying it closes `body` too. */
export function withMappedErrors(body: Readable, describe: (error: unknown) => TierdropError): Readable {
  const mapped = new PassThrough({ highWaterMark: body.readableHighWaterMark });
  body.on('error', (error) => mapped.destroy(describe(error)));
  mapped.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(mapped);
  return mapped;
}
