// Fault injection: which request fails and how, decided by a seeded PRNG so a fault run replays the
// same way; the plan can be replaced at any time (programmatically or via the admin surface).
import { z } from 'zod';

export interface S3Faults {
  /** Probability 0..1 of a 500 InternalError per operation name ('PutObject', 'UploadPart'…), or '*' for all. */
  errorRate?: Record<string, number>;
  /** Added before answering every request. */
  latencyMs?: number;
  /** Probability of destroying the socket mid-body (after reading some of the request body) per operation. */
  resetRate?: Record<string, number>;
  /** 1-based request numbers (counted since start or since the last setFaults) answered 500 InternalError. */
  failNth?: number[];
  /** Probability CompleteMultipartUpload answers 200 with an <Error> body (InternalError). */
  completeErrorRate?: number;
  /** Read request bodies no faster than this, across all connections. */
  throttleBytesPerSec?: number;
  /** Operation names answered 501 NotImplemented (to imitate stores lacking e.g. AbortMultipartUpload). */
  unsupported?: string[];
  /** Probability per operation that the request takes effect but its answer is lost (the socket is cut instead). */
  dropAnswerRate?: Record<string, number>;
}

const Probability = z.number().min(0).max(1);

/** Validates fault plans that cross a boundary (admin HTTP, CLI flags). */
export const S3FaultsSchema = z
  .object({
    errorRate: z.record(z.string(), Probability).optional(),
    latencyMs: z.number().int().min(0).optional(),
    resetRate: z.record(z.string(), Probability).optional(),
    failNth: z.array(z.number().int().min(1)).optional(),
    completeErrorRate: Probability.optional(),
    throttleBytesPerSec: z.number().positive().optional(),
    unsupported: z.array(z.string()).optional(),
    dropAnswerRate: z.record(z.string(), Probability).optional(),
  })
  .strict() satisfies z.ZodType<S3Faults>;

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'unsupported' }
  | { kind: 'error' }
  /** Cut the connection once this fraction (0..1) of the body has been read. */
  | { kind: 'reset'; fraction: number }
  /** Handle the request, then cut the connection instead of answering: an outcome the client cannot know. */
  | { kind: 'dropAnswer' };

export const DEFAULT_SEED = 0x5eed; // fixed, so runs without an explicit seed replay too

export class FaultPlan {
  private faults: S3Faults = {};
  private requestCount = 0;
  private random: () => number;

  constructor(
    faults: S3Faults,
    private readonly seed: number,
  ) {
    this.random = seededRandom(seed);
    this.set(faults);
  }

  /** Replaces the plan; the request count and the PRNG start over. */
  set(faults: S3Faults): void {
    this.faults = { ...faults };
    this.requestCount = 0;
    this.random = seededRandom(this.seed);
  }

  get latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  get throttleBytesPerSec(): number | undefined {
    return this.faults.throttleBytesPerSec;
  }

  /** Counts one request and decides its fate. */
  decide(operation: string): FaultDecision {
    this.requestCount += 1;
    if (this.faults.unsupported?.includes(operation) === true) return { kind: 'unsupported' };
    if (this.faults.failNth?.includes(this.requestCount) === true) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.errorRate, operation))) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.resetRate, operation))) return { kind: 'reset', fraction: this.random() };
    if (this.chance(rateFor(this.faults.dropAnswerRate, operation))) return { kind: 'dropAnswer' };
    return { kind: 'none' };
  }

  /** Whether this CompleteMultipartUpload answers 200 with an <Error> body. */
  completeAnswersError(): boolean {
    return this.chance(this.faults.completeErrorRate ?? 0);
  }

  /** Certain outcomes draw nothing, so adding a rate of 0 or 1 does not shift the other draws. */
  private chance(probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.random() < probability;
  }
}

function rateFor(rates: Record<string, number> | undefined, operation: string): number {
  return rates?.[operation] ?? rates?.['*'] ?? 0;
}

/** mulberry32: a tiny 32-bit PRNG; plenty for picking faults, and reproducible from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
