// The transfer settings form: what a person types becomes a patch within the contract's bounds.
import { describe, expect, it } from 'vitest';
import { MiB, Settings } from '../../core/contract/index.js';
import { formFromSettings, patchFromForm } from '../../renderer/logic/settings-form.js';

describe('settings form', () => {
  it('shows settings in MiB and turns them back into bytes', () => {
    const settings = Settings.parse({ partSizeBytes: 16 * MiB, bandwidthLimitBytesPerSec: 2.5 * MiB });
    const form = formFromSettings(settings);
    expect(form).toEqual({ partSizeMiB: '16', concurrency: '8', filesInFlight: '4', bandwidthLimitMiBPerSec: '2.5' });
    expect(patchFromForm(form)).toEqual({ ok: true, patch: { partSizeBytes: 16 * MiB, concurrency: 8, filesInFlight: 4, bandwidthLimitBytesPerSec: 2.5 * MiB } });
  });

  it('refuses parts below S3’s 5 MiB, fractional counts and negative limits, per field', () => {
    const result = patchFromForm({ partSizeMiB: '4', concurrency: '2.5', filesInFlight: '0', bandwidthLimitMiBPerSec: '-1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['bandwidthLimitMiBPerSec', 'concurrency', 'filesInFlight', 'partSizeMiB']);
  });

  it('reads an empty bandwidth limit as no limit', () => {
    const result = patchFromForm({ partSizeMiB: '8', concurrency: '4', filesInFlight: '2', bandwidthLimitMiBPerSec: '' });
    expect(result.ok && result.patch.bandwidthLimitBytesPerSec).toBe(0);
  });
});
