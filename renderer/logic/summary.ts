// The status strip's numbers: overall bytes done of total, combined speed, time left and how many
// transfers sit in each filter. Read straight from the transfers core reported.
import type { TransferView } from '../../core/contract/index.js';
import { filterOf, isMoving, type Filter } from './states.js';

export interface Summary {
  bytesDone: number;
  sizeBytes: number;
  speedBytesPerSec: number;
  /** null when nothing moves. */
  etaSeconds: number | null;
  counts: Record<Filter, number>;
  paused: number;
}

export function summarize(transfers: Iterable<TransferView>): Summary {
  const counts: Record<Filter, number> = { all: 0, active: 0, queued: 0, done: 0, failed: 0 };
  let bytesDone = 0;
  let sizeBytes = 0;
  let speedBytesPerSec = 0;
  let paused = 0;
  for (const transfer of transfers) {
    counts.all += 1;
    counts[filterOf(transfer.state)] += 1;
    if (transfer.state === 'paused') paused += 1;
    if (transfer.state === 'cancelled') continue; // cancelled bytes will never be done
    sizeBytes += transfer.sizeBytes;
    bytesDone += Math.min(transfer.bytesDone, transfer.sizeBytes);
    if (isMoving(transfer.state)) speedBytesPerSec += transfer.speedBytesPerSec;
  }
  const remaining = sizeBytes - bytesDone;
  const etaSeconds = speedBytesPerSec > 0 && remaining > 0 ? remaining / speedBytesPerSec : null;
  return { bytesDone, sizeBytes, speedBytesPerSec, etaSeconds, counts, paused };
}
