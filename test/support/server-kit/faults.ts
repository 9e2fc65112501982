// What both test servers' fault plans share: the faults every store can suffer (errors, resets, a
// failing Nth request, latency, a slow link), a request count, and a seeded PRNG, so runs replay.
import { z } from 'zod';

export interface CommonFaults {
  /** Probability 0..1 of an internal error per operation name, or '*' for every operation. */
  errorRate?: Record<string, number>;
  /** Added before answering every request. */
  latencyMs?: number;
  /** Probability per operation of cutting the connection after part of the request body. */
  resetRate?: Record<string, number>;
  /** 1-based request numbers (since start or the last plan) answered with an internal error. */
  failNth?: number[];
  /** Read request bodies no faster than this, across all connections. */
  throttleBytesPerSec?: number;
}

export const Probability = z.number().min(0).max(1);

/** The schema fields of CommonFaults, for each server's strict schema to spread. */
export const commonFaultFields = {
  errorRate: z.record(z.string(), Probability).optional(),
  latencyMs: z.number().int().min(0).optional(),
  resetRate: z.record(z.string(), Probability).optional(),
  failNth: z.array(z.number().int().min(1)).optional(),
  throttleBytesPerSec: z.number().positive().optional(),
};

/** The common part of a decision; each server adds its own kinds. */
export type CommonDecision = { kind: 'error' } | { kind: 'reset'; fraction: number };

export abstract class FaultPlanBase<Faults extends CommonFaults> {
  protected faults: Faults;
  protected requestCount = 0;
  private random: () => number;

  constructor(
    faults: Faults,
    private readonly seed: number,
  ) {
    this.faults = { ...faults };
    this.random = seededRandom(seed);
  }

  /** Replaces the plan; the request count and the PRNG start over. */
  set(faults: Faults): void {
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

  /** The shared faults, in the order both servers draw them: the Nth request, an error, a reset. */
  protected commonDecision(operation: string): CommonDecision | null {
    if (this.faults.failNth?.includes(this.requestCount) === true) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.errorRate, operation))) return { kind: 'error' };
    if (this.chance(rateFor(this.faults.resetRate, operation))) return { kind: 'reset', fraction: this.random() };
    return null;
  }

  /** Certain outcomes draw nothing, so a rate of 0 or 1 does not shift the other draws. */
  protected chance(probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.random() < probability;
  }
}

/** The value for `operation` in a per-operation table, else its '*' entry, else 0. */
export function rateFor(rates: Record<string, number> | undefined, operation: string): number {
  return rates?.[operation] ?? rates?.['*'] ?? 0;
}

/** mulberry32: a tiny 32-bit PRNG, reproducible from its seed; plenty for picking faults. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
