// Fault injection for the S3 test server: the shared faults (server-kit) plus S3's own (operations it
// lacks, answers lost after the store acted, a 200 carrying an error, slow commits). Seeded, so a
// fault run replays the same way; the plan can be replaced at any time (in code or via admin).
import { z } from 'zod';
import { commonFaultFields, FaultPlanBase, Probability, rateFor, type CommonDecision, type CommonFaults } from '../server-kit/index.js';

export interface S3Faults extends CommonFaults {
  /** Probability CompleteMultipartUpload answers 200 with an <Error> body (InternalError). */
  completeErrorRate?: number;
  /** Operation names answered 501 NotImplemented (to imitate stores lacking e.g. AbortMultipartUpload). */
  unsupported?: string[];
  /** Probability per operation that the request takes effect but its answer is lost (the socket is cut instead). */
  dropAnswerRate?: Record<string, number>;
  /**
   * Per operation, how long the store waits between receiving a whole body and acting on it: a
   * store slow to commit, which still commits a write its client has already given up on.
   */
  commitDelayMs?: Record<string, number>;
}

/** Validates fault plans that cross a boundary (admin HTTP, CLI flags). */
export const S3FaultsSchema = z
  .object({
    ...commonFaultFields,
    completeErrorRate: Probability.optional(),
    unsupported: z.array(z.string()).optional(),
    dropAnswerRate: z.record(z.string(), Probability).optional(),
    commitDelayMs: z.record(z.string(), z.number().int().min(0)).optional(),
  })
  .strict() satisfies z.ZodType<S3Faults>;

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'unsupported' }
  /** 'error': answer 500; 'reset': cut the connection once this fraction (0..1) of the body was read. */
  | CommonDecision
  /** Handle the request, then cut the connection instead of answering: an outcome the client cannot know. */
  | { kind: 'dropAnswer' };

export const DEFAULT_SEED = 0x5eed; // fixed, so runs without an explicit seed replay too

export class FaultPlan extends FaultPlanBase<S3Faults> {
  /** Counts one request and decides its fate. */
  decide(operation: string): FaultDecision {
    this.requestCount += 1;
    if (this.faults.unsupported?.includes(operation) === true) return { kind: 'unsupported' };
    const common = this.commonDecision(operation);
    if (common !== null) return common;
    if (this.chance(rateFor(this.faults.dropAnswerRate, operation))) return { kind: 'dropAnswer' };
    return { kind: 'none' };
  }

  /** Whether this CompleteMultipartUpload answers 200 with an <Error> body. */
  completeAnswersError(): boolean {
    return this.chance(this.faults.completeErrorRate ?? 0);
  }

  /** How long `operation` waits, body received, before it takes effect. */
  commitDelayMsFor(operation: string): number {
    return rateFor(this.faults.commitDelayMs, operation);
  }
}
