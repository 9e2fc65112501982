// When to tell a person a batch finished: a batch is what one add (a drop, a pick) queued; once
// every transfer in it is done, failed or cancelled, one notification sums it up.
import type { TierdropEvent } from '../core/contract/index.js';

export interface BatchNotice {
  title: string;
  body: string;
}

interface Batch {
  pending: Set<string>;
  done: number;
  failed: number;
  cancelled: number;
}

export class BatchTracker {
  private readonly batches: Batch[] = [];

  add(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.batches.push({ pending: new Set(ids), done: 0, failed: 0, cancelled: 0 });
  }

  /** Feeds a core event; answers the notice to show when it completed a batch. */
  observe(event: TierdropEvent): BatchNotice | null {
    if (event.type !== 'transfer.finished' && event.type !== 'transfer.updated') return null;
    const { id, state } = event.transfer;
    if (state !== 'done' && state !== 'failed' && state !== 'cancelled') return null;
    const index = this.batches.findIndex((batch) => batch.pending.has(id));
    const batch = this.batches[index];
    if (batch === undefined) return null;
    batch.pending.delete(id);
    batch[state] += 1;
    if (batch.pending.size > 0) return null;
    this.batches.splice(index, 1);
    return describe(batch);
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function describe(batch: Batch): BatchNotice {
  const total = batch.done + batch.failed + batch.cancelled;
  if (batch.failed === 0 && batch.cancelled === 0) return { title: 'Upload finished', body: `${plural(total, 'file')} uploaded.` };
  const parts = [`${batch.done} uploaded`];
  if (batch.failed > 0) parts.push(`${batch.failed} failed`);
  if (batch.cancelled > 0) parts.push(`${batch.cancelled} cancelled`);
  return { title: batch.failed > 0 ? 'Upload finished with problems' : 'Upload finished', body: `${parts.join(', ')}.${batch.failed > 0 ? ' Open Tierdrop to retry.' : ''}` };
}
