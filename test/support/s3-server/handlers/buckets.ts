// Bucket-level operations: create (idempotent only through the test API), head, delete, list all.
import { planBody } from '../body-plan.js';
import { receiveText } from '../body.js';
import { bodyHooks, sendEmpty, sendXml, type RequestContext } from '../context.js';
import { S3Error } from '../errors.js';
import { el, isoTime, xmlDocument } from '../xml.js';
import { ownerXml } from './owner.js';

const REGION = 'us-east-1';
const MAX_CONFIGURATION_BYTES = 64 * 1024; // a CreateBucketConfiguration is a few hundred bytes

export async function createBucket(ctx: RequestContext): Promise<void> {
  // The body, if any, is a CreateBucketConfiguration naming a region; every region is this one.
  await receiveText(ctx.req, planBody(ctx.req.headers, ctx.auth, MAX_CONFIGURATION_BYTES), bodyHooks(ctx));
  await ctx.services.store.createBucket(ctx.route.bucket, { existingOk: false });
  sendEmpty(ctx.res, 200, { Location: `/${ctx.route.bucket}` });
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  ctx.services.store.bucket(ctx.route.bucket);
  sendEmpty(ctx.res, 200, { 'x-amz-bucket-region': REGION });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  const { store, uploads } = ctx.services;
  const name = ctx.route.bucket;
  store.bucket(name);
  await store.deleteBucket(name, uploads.list(name).length > 0);
  sendEmpty(ctx.res, 204);
}

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const buckets = ctx.services.store
    .bucketRecords()
    .map((bucket) => el('Bucket', [el('Name', bucket.name), el('CreationDate', isoTime(bucket.createdMs))]));
  sendXml(ctx.res, 200, xmlDocument('ListAllMyBucketsResult', [el('Owner', ownerXml()), el('Buckets', buckets)]));
}

export async function notImplemented(ctx: RequestContext): Promise<void> {
  const what = ctx.route.operation === 'Unsupported' ? 'This request' : ctx.route.operation;
  throw new S3Error('NotImplemented', `${what} is not implemented by this test server.`);
}

export async function methodNotAllowed(): Promise<void> {
  throw new S3Error('MethodNotAllowed');
}
