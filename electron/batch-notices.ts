// When to tell a person a batch finished: a batch is what one add (a drop, a pick) queued; once
// every transfer in it is done, failed or cancelled, one notification sums it up.
import { transferViewsOf, type TierdropEvent } from '../core/contract/index.js';

export interface BatchNotice {
  title: string;
  body: string;
}

type Outcome = 'done' | 'failed' | 'cancelled';

interface Batch {
  pending: Set<string>;
  done: number;
  failed: number;
  cancelled: number;
}

export class BatchTracker {
  private readonly batches: Batch[] = [];
  /**
   * Outcomes of transfers in no batch yet, kept only while an add is under way: core starts a big
   * folder's first files before the add answers with their ids, so some may finish before then.
   */
  private earlyOutcomes = new Map<string, Outcome>();
  private addsUnderWay = 0;

  /**
   * Call before asking core to add files; call the answer with the ids the add answered (null when
   * it failed). It answers the notice to show when those transfers have all finished already.
   */
  begin(): (ids: readonly string[] | null) => BatchNotice | null {
    this.addsUnderWay += 1;
    let ended = false;
    return (ids) => {
      if (ended) return null;
      ended = true;
      const notice = ids === null ? null : this.add(ids);
      this.addsUnderWay -= 1;
      if (this.addsUnderWay === 0) this.earlyOutcomes.clear();
      return notice;
    };
  }

  /** Starts a batch of `ids`; answers its notice at once when every one of them has finished already. */
  add(ids: readonly string[]): BatchNotice | null {
    if (ids.length === 0) return null;
    const batch: Batch = { pending: new Set(ids), done: 0, failed: 0, cancelled: 0 };
    for (const id of ids) {
      const outcome = this.earlyOutcomes.get(id);
      if (outcome === undefined) continue;
      this.earlyOutcomes.delete(id);
      batch.pending.delete(id);
      batch[outcome] += 1;
    }
    if (batch.pending.size === 0) return describe(batch);
    this.batches.push(batch);
    return null;
  }

  /** Feeds a core event; answers the notice to show when it completed a batch. */
  observe(event: TierdropEvent): BatchNotice | null {
    let notice: BatchNotice | null = null;
    for (const { id, state } of transferViewsOf(event)) {
      if (state === 'done' || state === 'failed' || state === 'cancelled') notice = this.settle(id, state) ?? notice;
    }
    return notice;
  }

  private settle(id: string, outcome: Outcome): BatchNotice | null {
    const index = this.batches.findIndex((batch) => batch.pending.has(id));
    const batch = this.batches[index];
    if (batch === undefined) {
      if (this.addsUnderWay > 0) this.earlyOutcomes.set(id, outcome);
      return null;
    }
    batch.pending.delete(id);
    batch[outcome] += 1;
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
