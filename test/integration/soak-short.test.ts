// The soak in miniature, in every `npm test`, on each store (our S3 and GCS test servers): a tiered
// upload with 5% faults of every kind the server can inject, the CLI SIGKILLed 5 times at random
// moments and resumed each time; every object must read back intact, with no multipart upload left
// open (on GCS: no composite upload's manifest, part or intermediate), no revision orphaned, and a
// sound journal.
import { describe, expect, it } from 'vitest';
import { runSoak, soakPassed, SOAK_STORES } from '../../bench/soak-lib.js';

const SEED = 20261124; // fixed, so a failure replays: `npm run soak -- --store gcs --kills 5 --seed 20261124` is close

describe.each(SOAK_STORES)('soak (short) on %s', (store) => {
  it('keeps every object intact through 5 kills and 5% faults', { timeout: 150_000 }, async () => {
    const report = await runSoak({
      store,
      kills: 5,
      faultRate: 0.05,
      round: { small: 12, medium: 2, large: 1 },
      killAfterMs: { min: 50, max: 1200 },
      budgetMs: 50_000,
      finishWithinMs: 100_000,
      seed: SEED,
      log: () => undefined,
    });
    expect(report.mismatched).toEqual([]);
    expect(report.intact).toBe(report.files);
    expect(report.openUploadDetails).toEqual([]);
    expect(report.openMultipartUploads).toBe(0);
    expect(report.uploadTemporaries).toBe(0);
    expect(report.orphans).toBe(0);
    expect(report.unfinishedDetails).toEqual([]);
    expect(report.integrityCheck).toBe('ok');
    expect(report.kills).toBe(5);
    expect(soakPassed(report)).toBe(true);
  });
});
