// Fault injection for the GCS test server: the shared faults (server-kit) plus refusing the caller.
// Operation names are the JSON API's ('objects.insert', 'objects.get'…); seeded, so runs replay.
import { z } from 'zod';
import { commonFaultFields, FaultPlanBase, type CommonDecision, type CommonFaults } from '../server-kit/index.js';

/** errorRate and failNth answer 503 backendError here. */
export interface GcsFaults extends CommonFaults {
  /** Answer every API request with this status (401 or 403), as a store refusing the caller would. */
  deny?: 401 | 403;
}

export const GcsFaultsSchema = z
  .object({
    ...commonFaultFields,
    deny: z.union([z.literal(401), z.literal(403)]).optional(),
  })
  .strict() satisfies z.ZodType<GcsFaults>;

export type FaultDecision = { kind: 'none' } | { kind: 'deny'; status: 401 | 403 } | CommonDecision;

export const DEFAULT_SEED = 0x6c5; // fixed, so runs without an explicit seed replay too

export class FaultPlan extends FaultPlanBase<GcsFaults> {
  decide(operation: string): FaultDecision {
    this.requestCount += 1;
    if (this.faults.deny !== undefined) return { kind: 'deny', status: this.faults.deny };
    return this.commonDecision(operation) ?? { kind: 'none' };
  }
}
