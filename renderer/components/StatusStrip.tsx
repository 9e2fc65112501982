// The status strip: overall bytes done of total with a bar, speed, time left, counts per state,
// the throughput sparkline and Pause all / Resume all.
import { useMemo } from 'react';
import { formatBytes, formatEta, formatSpeed, percentDone } from '../logic/format.js';
import { summarize, type Summary } from '../logic/summary.js';
import { PauseIcon, PlayIcon } from './icons.js';
import { Sparkline } from './Sparkline.js';
import { useApp } from './context.js';

export function StatusStrip() {
  const transfers = useApp((state) => state.transfers);
  const staging = useApp((state) => state.staging);
  const pauseAll = useApp((state) => state.pauseAll);
  const resumeAll = useApp((state) => state.resumeAll);
  const summary = useMemo(() => summarize(transfers.values()), [transfers]);
  const percent = percentDone(summary.bytesDone, summary.sizeBytes);
  const busy = summary.counts.active - summary.paused + summary.counts.queued;

  return (
    <section className="status" aria-label="Overall progress">
      <div className="status-main">
        <div className="status-figures">
          <span className="status-bytes" data-testid="overall-bytes">
            <strong>{formatBytes(summary.bytesDone)}</strong> of {formatBytes(summary.sizeBytes)}
          </span>
          <span className="status-dot" aria-hidden="true">·</span>
          {summary.speedBytesPerSec > 0 ? (
            <>
              <span data-testid="overall-speed">{formatSpeed(summary.speedBytesPerSec)}</span>
              <span className="status-dot" aria-hidden="true">·</span>
              <span>{summary.etaSeconds === null ? 'finishing' : `${formatEta(summary.etaSeconds)} left`}</span>
            </>
          ) : (
            <span>{idleText(summary)}</span>
          )}
        </div>
        <div className="progress progress-overall" role="progressbar" aria-label="Overall progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
          <div className="progress-fill" style={{ width: `${percent}%` }} />
        </div>
        <div className="status-counts">
          <Count label="uploading" value={summary.counts.active - summary.paused} tone="accent" />
          <Count label="queued" value={summary.counts.queued} tone="neutral" />
          <Count label="paused" value={summary.paused} tone="warning" />
          <Count label="done" value={summary.counts.done} tone="success" />
          <Count label="failed" value={summary.counts.failed} tone="danger" />
          {staging && staging.filesTotal > 0 ? (
            <span className="status-staging" role="status">
              Reading {staging.filesDone} of {staging.filesTotal} files ({formatBytes(staging.bytesDone)} of {formatBytes(staging.bytesTotal)})
            </span>
          ) : null}
        </div>
      </div>
      <Sparkline />
      <div className="status-actions">
        <button type="button" className="button" onClick={() => void pauseAll()} disabled={busy === 0}>
          <PauseIcon /> Pause all
        </button>
        <button type="button" className="button" onClick={() => void resumeAll()} disabled={summary.paused === 0}>
          <PlayIcon /> Resume all
        </button>
      </div>
    </section>
  );
}

/** What the strip says when no bytes move. */
function idleText(summary: Summary): string {
  if (summary.counts.all === 0) return 'Nothing to upload yet';
  if (summary.counts.failed > 0 && summary.counts.active === 0 && summary.counts.queued === 0) return 'Stopped: some transfers failed';
  if (summary.paused > 0 && summary.paused === summary.counts.active) return 'Paused';
  if (summary.counts.active === 0 && summary.counts.queued === 0) return 'All uploads finished';
  return 'Waiting…';
}

function Count({ label, value, tone }: { label: string; value: number; tone: string }) {
  return (
    <span className={`count ${value === 0 ? 'count-zero' : ''}`} data-testid={`count-${label}`}>
      <span className={`dot dot-${tone}`} aria-hidden="true" />
      <strong>{value.toLocaleString('en-US')}</strong> {label}
    </span>
  );
}
