// Generation and metageneration preconditions, as the JSON API defines them: ifGenerationMatch=0
// means "only if there is no live object"; a failed Match is 412, a failed NotMatch on a read is 304.
import { conditionNotMet, GcsError, invalid } from './errors.js';
import type { ObjectRecord } from './records.js';

export interface Conditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const NAMES = ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const;

export function readConditions(query: URLSearchParams): Conditions {
  const conditions: Conditions = {};
  for (const name of NAMES) {
    const value = query.get(name);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) throw invalid(`Invalid value for ${name}: ${value}`);
    conditions[name] = value;
  }
  return conditions;
}

/** Throws unless the conditions hold for `current` (undefined: no live object). */
export function checkConditions(current: ObjectRecord | undefined, conditions: Conditions, mode: 'read' | 'write'): void {
  const generation = current?.generation ?? '0';
  const metageneration = current === undefined ? undefined : String(current.metageneration);
  const notModified = (): GcsError => (mode === 'read' ? new GcsError(304, 'notModified', 'Not Modified') : conditionNotMet());
  if (conditions.ifGenerationMatch !== undefined && conditions.ifGenerationMatch !== generation) throw conditionNotMet();
  if (conditions.ifGenerationNotMatch !== undefined && conditions.ifGenerationNotMatch === generation) throw notModified();
  if (conditions.ifMetagenerationMatch !== undefined && conditions.ifMetagenerationMatch !== metageneration) throw conditionNotMet();
  if (conditions.ifMetagenerationNotMatch !== undefined && conditions.ifMetagenerationNotMatch === metageneration) throw notModified();
}
