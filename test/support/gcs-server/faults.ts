// Fault injection for the GCS test server: which request fails and how, decided by a seeded PRNG so
// a run replays the same way. Operation names are the JSON API's ('objects.insert', 'objects.get'…).
import { z } from 'zod';

export interface GcsFaults {
  /** Probability 0..1 of a 503 backendError per operation, or '*' for all. */
  errorRate?: Record<string, number>;
  /** Added before answering every request. */
  latencyMs?: number;
  /** Probability of cutting the connection after part of the request body, per operation. */
  resetRate?: Record<string, number>;
  /** 1-based request numbers (since start or the last setFaults) answered 503 backendError. */
  failNth?: number[];
  /** Read request bodies no faster than this, across all connections. */
  throttleBytesPerSec?: number;
  /** Answer every API request with this status (401 or 403), as a store refusing the caller would. */
  deny?: 401 | 403;
}

const Probability = z.number().min(0).max(1);

export const GcsFaultsSchema = z
  .object({
    errorRate: z.record(z.string(), Probability).optional(),
    latencyMs: z.number().int().min(0).optional(),
    resetRate: z.record(z.string(), Probability).optional(),
    failNth: z.array(z.number().int().min(1)).optional(),
    throttleBytesPerSec: z.number().positive().optional(),
    deny: z.union([z.literal(401), z.literal(403)]).optional(),
  })
  .strict() satisfies z.ZodType<GcsFaults>;

export type FaultDecision = { kind: 'none' } | { kind: 'error' } | { kind: 'deny'; status: 401 | 403 } | { kind: 'reset'; fraction: number };

export const DEFAULT_SEED = 0x6c5; // fixed, so runs without an explicit seed replay too

export class FaultPlan {
  private faults: GcsFaults = {};
  private requestCount = 0;
  private random: () => number;

  constructor(
    faults: GcsFaults,
    private readonly seed: number,
  ) {
    this.random = seededRandom(seed);
    this.set(faults);
  }

  /** Replaces the plan; the request count and the PRNG start over. */
  set(faults: GcsFaults): void {
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

  decide(operation: string): FaultDecision {
    this.requestCount += 1;
    if (this.faults.deny !== undefined) return { kind: 'deny', status: this.faults.deny };
    if (this.faults.failNth?.includes(this.requestCount) === true) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.errorRate, operation))) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.resetRate, operation))) return { kind: 'reset', fraction: this.random() };
    return { kind: 'none' };
  }

  /** Certain outcomes draw nothing, so a rate of 0 or 1 does not shift the other draws. */
  private chance(probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.random() < probability;
  }
}

function rateFor(rates: Record<string, number> | undefined, operation: string): number {
  return rates?.[operation] ?? rates?.['*'] ?? 0;
}

/** mulberry32: tiny, reproducible from its seed, plenty for picking faults. */
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
