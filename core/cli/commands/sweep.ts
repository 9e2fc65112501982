// `tierdrop sweep --to URL [--older-than DURATION] [--yes]`: lists the stored revisions and
// multipart uploads nothing refers to (no tombstone, no journal entry), and removes them with --yes.
import { TierdropError } from '../../errors/index.js';
import { DEFAULT_SWEEP_GRACE_MS, TieredStorage, findOrphans, removeOrphans } from '../../tiered/index.js';
import { formatBytes } from '../../transfer/index.js';
import { EXIT_OK, USAGE_HINT, destination, parse } from '../args.js';
import { openService } from '../run.js';
import { humanOutput } from '../output.js';

const DURATION_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export async function sweep(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    { to: { type: 'string' }, 'older-than': { type: 'string' }, yes: { type: 'boolean', default: false } },
    false,
  );
  const url = destination(values.to as string | undefined, '--to');
  const olderThanMs = typeof values['older-than'] === 'string' ? parseDuration(values['older-than']) : DEFAULT_SWEEP_GRACE_MS;
  // The service's lock keeps uploads of this home from starting while we decide what is orphaned.
  const service = openService(humanOutput());
  try {
    const storage = service.store(url).backend;
    if (!(storage instanceof TieredStorage)) throw new TierdropError('invalid_input', `${url} is a direct destination: it stores no revisions to sweep.`);
    await storage.recovered();
    const orphans = await findOrphans(storage, service.journal, olderThanMs);
    for (const orphan of orphans) {
      const what = orphan.kind === 'revision' ? `revision  ${formatBytes(orphan.sizeBytes).padStart(9)}` : `upload    ${''.padStart(9)}`;
      process.stdout.write(`${what}  ${formatAge(orphan.ageMs).padStart(6)}  ${orphan.key}  ${orphan.revision}\n`);
    }
    if (orphans.length === 0) {
      process.stderr.write('Nothing to sweep.\n');
    } else if (values.yes === true) {
      await removeOrphans(storage, orphans);
      process.stderr.write(`Removed ${orphans.length} orphan${orphans.length === 1 ? '' : 's'}.\n`);
    } else {
      process.stderr.write(`Found ${orphans.length} orphan${orphans.length === 1 ? '' : 's'}; run again with --yes to remove them.\n`);
    }
    return EXIT_OK;
  } finally {
    await service.dispose();
  }
}

/** `90s`, `15m`, `24h`, `7d`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  const unit = DURATION_UNITS_MS[match?.[2] || 's'];
  if (match === null || unit === undefined) {
    throw new TierdropError('invalid_input', `"${text}" is not a duration; write it like 90s, 15m, 24h or 7d.\n${USAGE_HINT}`);
  }
  return Number(match[1]) * unit;
}

function formatAge(ageMs: number): string {
  if (ageMs >= 86_400_000) return `${Math.floor(ageMs / 86_400_000)}d`;
  if (ageMs >= 3_600_000) return `${Math.floor(ageMs / 3_600_000)}h`;
  if (ageMs >= 60_000) return `${Math.floor(ageMs / 60_000)}m`;
  return `${Math.floor(ageMs / 1000)}s`;
}
