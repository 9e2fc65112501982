// Receives one request body into a sink while it streams: throttled and maybe cut (faults), decoded
// from aws-chunked, hashed (MD5 for the ETag, flexible checksums, SHA-256 when the payload is signed),
// then checked against what the client declared (see body-plan.ts). Nothing is ever held whole.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked.js';
import type { BodyPlan } from './body-plan.js';
import {
  checksumHeaderName,
  createChecksum,
  type ChecksumAlgorithm,
  type ChecksumValues,
  type IncrementalChecksum,
} from './checksums.js';
import { streamBody, type ByteThrottle } from '../server-kit/index.js';
import { S3Error } from './errors.js';

export interface BodyHooks {
  throttle: ByteThrottle;
  idleTimeoutMs: number;
  /** Called with the size of each decoded payload piece as it arrives. */
  onBytes?: (bytes: number) => void;
  /** Fault: destroy the connection once this many raw body bytes have been read. */
  cutAfterBytes?: number;
  /** Checksums to compute whatever the client sends (e.g. the multipart upload's algorithm). */
  alsoCompute?: readonly ChecksumAlgorithm[];
}

export interface ReceivedBody {
  sizeBytes: number;
  md5: Buffer;
  /** Every checksum computed: the client's algorithm and `alsoCompute`. */
  checksums: ChecksumValues;
}

/** Streams the body into `sink` and verifies it; rejects with S3Error or ConnectionGone. */
export async function receiveBody(
  req: IncomingMessage,
  plan: BodyPlan,
  sink: Writable,
  hooks: BodyHooks,
): Promise<ReceivedBody> {
  const decoder = plan.awsChunked ? new AwsChunkedDecoder(plan.signing) : null;
  const algorithms = new Set<ChecksumAlgorithm>(hooks.alsoCompute);
  if (plan.checksum !== null) algorithms.add(plan.checksum.algorithm);
  const digest = new Digest(plan, [...algorithms], hooks.onBytes);
  const intake = {
    throttle: hooks.throttle,
    idleTimeoutMs: hooks.idleTimeoutMs,
    ...(hooks.cutAfterBytes === undefined ? {} : { cutAfterBytes: hooks.cutAfterBytes }),
    idleError: () => new S3Error('RequestTimeout', undefined, { closeConnection: true }),
  };
  await streamBody(req, intake, decoder === null ? [digest, sink] : [decoder, digest, sink]);
  return verify(plan, digest, decoder);
}

/** Receives a small body (an XML document, a tiny object) into memory. */
export async function receiveBytes(
  req: IncomingMessage,
  plan: BodyPlan,
  hooks: BodyHooks,
): Promise<{ data: Buffer; body: ReceivedBody }> {
  const pieces: Buffer[] = [];
  const collector = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pieces.push(chunk);
      callback();
    },
  });
  const body = await receiveBody(req, plan, collector, hooks);
  return { data: Buffer.concat(pieces), body };
}

export async function receiveText(
  req: IncomingMessage,
  plan: BodyPlan,
  hooks: BodyHooks,
): Promise<{ text: string; body: ReceivedBody }> {
  const { data, body } = await receiveBytes(req, plan, hooks);
  return { text: data.toString('utf8'), body };
}

// ---------------------------------------------------------------------------------------------
// Stages

/** Last stage before the sink: counts and hashes the decoded payload. */
class Digest extends Transform {
  sizeBytes = 0;
  readonly md5 = createHash('md5');
  readonly sha256: Hash | null;
  readonly checksums: Map<ChecksumAlgorithm, IncrementalChecksum>;

  constructor(
    private readonly plan: BodyPlan,
    algorithms: readonly ChecksumAlgorithm[],
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    super();
    this.sha256 = plan.sha256Hex === null ? null : createHash('sha256');
    this.checksums = new Map(algorithms.map((algorithm) => [algorithm, createChecksum(algorithm)]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.plan.maxBytes) {
      callback(new S3Error('EntityTooLarge', undefined, { fields: { MaxSizeAllowed: this.plan.maxBytes } }));
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    for (const checksum of this.checksums.values()) checksum.update(chunk);
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }
}

function verify(plan: BodyPlan, digest: Digest, decoder: AwsChunkedDecoder | null): ReceivedBody {
  if (digest.sizeBytes !== plan.declaredBytes) {
    throw new S3Error('IncompleteBody', undefined, {
      fields: { ExpectedBytes: plan.declaredBytes, ReceivedBytes: digest.sizeBytes },
    });
  }
  if (plan.sha256Hex !== null && digest.sha256 !== null) {
    const computed = digest.sha256.digest('hex');
    if (computed !== plan.sha256Hex) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, {
        fields: { ClientComputedContentSHA256: plan.sha256Hex, S3ComputedContentSHA256: computed },
      });
    }
  }
  const md5 = digest.md5.digest();
  if (plan.contentMd5 !== null && !plan.contentMd5.equals(md5)) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      fields: { ExpectedDigest: plan.contentMd5.toString('base64'), CalculatedDigest: md5.toString('base64') },
    });
  }
  const checksums: ChecksumValues = {};
  for (const [algorithm, checksum] of digest.checksums) checksums[algorithm] = checksum.digest().toString('base64');
  if (plan.checksum !== null) {
    const { algorithm, headerValue } = plan.checksum;
    const declared = headerValue ?? decoder?.trailers.get(checksumHeaderName(algorithm));
    if (declared === undefined) {
      throw new S3Error(
        'MalformedTrailerError',
        `The request promised a ${checksumHeaderName(algorithm)} trailer but did not send it.`,
      );
    }
    if (declared !== checksums[algorithm]) {
      throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    }
  }
  return { sizeBytes: digest.sizeBytes, md5, checksums };
}
