// The settings form's fields as a person types them (MiB, MB/s) and their conversion to a
// SettingsPatch checked against the contract's own bounds.
import { MAX_PART_BYTES, MIN_PART_BYTES, MiB, Settings, type SettingsPatch } from '../../core/contract/index.js';

export interface TransferForm {
  partSizeMiB: string;
  concurrency: string;
  filesInFlight: string;
  bandwidthLimitMiBPerSec: string;
}

export function formFromSettings(settings: Settings): TransferForm {
  return {
    partSizeMiB: trim(settings.partSizeBytes / MiB),
    concurrency: String(settings.concurrency),
    filesInFlight: String(settings.filesInFlight),
    bandwidthLimitMiBPerSec: settings.bandwidthLimitBytesPerSec === 0 ? '0' : trim(settings.bandwidthLimitBytesPerSec / MiB),
  };
}

export type FormResult = { ok: true; patch: SettingsPatch } | { ok: false; errors: Partial<Record<keyof TransferForm, string>> };

export function patchFromForm(form: TransferForm): FormResult {
  const errors: Partial<Record<keyof TransferForm, string>> = {};
  const partSizeMiB = Number(form.partSizeMiB);
  const partSizeBytes = Math.round(partSizeMiB * MiB);
  if (form.partSizeMiB.trim() === '' || !Number.isFinite(partSizeMiB) || partSizeBytes < MIN_PART_BYTES || partSizeBytes > MAX_PART_BYTES) {
    errors.partSizeMiB = `Between ${MIN_PART_BYTES / MiB} and ${MAX_PART_BYTES / MiB} MiB.`;
  }
  const concurrency = wholeNumber(form.concurrency);
  if (concurrency === null || concurrency < 1 || concurrency > 64) errors.concurrency = 'A whole number from 1 to 64.';
  const filesInFlight = wholeNumber(form.filesInFlight);
  if (filesInFlight === null || filesInFlight < 1 || filesInFlight > 64) errors.filesInFlight = 'A whole number from 1 to 64.';
  const limit = form.bandwidthLimitMiBPerSec.trim() === '' ? 0 : Number(form.bandwidthLimitMiBPerSec);
  if (!Number.isFinite(limit) || limit < 0) errors.bandwidthLimitMiBPerSec = 'A speed in MB/s, or 0 for no limit.';
  if (Object.keys(errors).length > 0 || concurrency === null || filesInFlight === null) return { ok: false, errors };
  const patch: SettingsPatch = {
    partSizeBytes,
    concurrency,
    filesInFlight,
    bandwidthLimitBytesPerSec: Math.round(limit * MiB),
  };
  // The contract is the judge, field by field (Settings.partial() would fill in every default).
  const shape = Settings.shape;
  const checks: Array<[keyof TransferForm, boolean]> = [
    ['partSizeMiB', shape.partSizeBytes.safeParse(partSizeBytes).success],
    ['concurrency', shape.concurrency.safeParse(concurrency).success],
    ['filesInFlight', shape.filesInFlight.safeParse(filesInFlight).success],
    ['bandwidthLimitMiBPerSec', shape.bandwidthLimitBytesPerSec.safeParse(patch.bandwidthLimitBytesPerSec).success],
  ];
  const refused = checks.filter(([, ok]) => !ok).map(([field]) => [field, 'Not accepted by Tierdrop.'] as const);
  return refused.length === 0 ? { ok: true, patch } : { ok: false, errors: Object.fromEntries(refused) };
}

function wholeNumber(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

function trim(value: number): string {
  return String(Math.round(value * 100) / 100);
}
