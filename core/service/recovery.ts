// What a long-running shell (the loopback host, the desktop app) does at start: put uploads a
// crash or a quit interrupted back in the queue, run them with the queued ones (a person's pauses
// stay paused), drop staged files nobody needs any more, and say what happened in one sentence.
import type { TierdropEvent } from '../contract/index.js';
import type { SyncService } from './service.js';

export type RecoveredEvent = Extract<TierdropEvent, { type: 'journal.recovered' }>;

/** Returns the event to show, or null when there is nothing to tell. */
export async function resumeLastSession(service: SyncService, journalSetAsidePath: string | null = null): Promise<RecoveredEvent | null> {
  const { interrupted, queued } = service.engine.recover();
  const resumedIds = [...new Set([...interrupted, ...queued])];
  await service.sweepStaging();
  service.engine.resume(resumedIds);
  const message = recoveryMessage(resumedIds.length, journalSetAsidePath);
  if (message === null) return null;
  return { type: 'journal.recovered', resumedIds, setAsidePath: journalSetAsidePath, message };
}

export function recoveryMessage(resumedCount: number, journalSetAsidePath: string | null): string | null {
  const sentences: string[] = [];
  if (resumedCount > 0) sentences.push(`Resumed ${resumedCount} transfer${resumedCount === 1 ? '' : 's'} from your last session.`);
  if (journalSetAsidePath !== null) {
    sentences.push(`The journal could not be read and was moved to ${journalSetAsidePath}; uploads recorded in it will not resume.`);
  }
  return sentences.length === 0 ? null : sentences.join(' ');
}
