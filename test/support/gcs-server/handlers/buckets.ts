// buckets.get and buckets.insert: enough for a client to check a bucket and for tests to make one.
import { receiveSmall } from '../body.js';
import { type RequestContext, sendJson } from '../context.js';
import { required } from '../errors.js';
import { bucketResource } from '../resources.js';
import { parseJsonObject } from './objects.js';

export async function getBucket(ctx: RequestContext): Promise<void> {
  const record = ctx.services.store.bucket(ctx.route.bucket).record;
  sendJson(ctx.res, 200, bucketResource(ctx.services.endpoint(), record));
}

export async function insertBucket(ctx: RequestContext): Promise<void> {
  const body = parseJsonObject(await receiveSmall(ctx.req, 64 * 1024));
  const name = body['name'];
  if (typeof name !== 'string' || name === '') throw required('name');
  const record = await ctx.services.store.createBucket(name, { existingOk: false });
  sendJson(ctx.res, 200, bucketResource(ctx.services.endpoint(), record));
}
