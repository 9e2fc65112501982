// One transfer: name and key (or what failed and what to do), size, progress, speed, time left,
// the state chip and its actions. Re-renders only when its own transfer changes, or when the list
// recycles its element for another transfer while scrolling.
import { memo, type MouseEvent } from 'react';
import { baseName, formatBytes, formatEta, formatSpeed, percentDone } from '../logic/format.js';
import { canCancel, canPause, canResume, canRetry, isMoving, stateLabel, stateTone } from '../logic/states.js';
import { CloseIcon, CopyIcon, FileIcon, PauseIcon, PlayIcon, RetryIcon } from './icons.js';
import { useApp } from './context.js';

export interface RowProps {
  id: string;
  index: number;
  grouped: boolean;
  active: boolean;
  selected: boolean;
  onRowClick(index: number, event: MouseEvent): void;
}

export const TransferRow = memo(function TransferRow({ id, index, grouped, active, selected, onRowClick }: RowProps) {
  const transfer = useApp((state) => state.transfers.get(id));
  const act = useApp((state) => state.act);
  const select = useApp((state) => state.select);
  const copyText = useApp((state) => state.copyText);
  if (!transfer) return null;

  const name = baseName(transfer.key);
  const percent = percentDone(transfer.bytesDone, transfer.sizeBytes);
  const moving = isMoving(transfer.state);
  const tabIndex = active ? 0 : -1;
  const failed = transfer.state === 'failed' && transfer.error !== null;

  return (
    <div
      className={`row row-transfer${selected ? ' row-selected' : ''}${grouped ? ' row-grouped' : ''} row-${transfer.state}`}
      role="listitem"
      aria-label={`${name}, ${stateLabel(transfer.state)}, ${percent}%`}
      data-transfer-id={id}
      data-state={transfer.state}
      data-index={index}
      tabIndex={tabIndex}
      onClick={(event) => onRowClick(index, event)}
    >
      <span className="cell cell-check">
        <input type="checkbox" checked={selected} tabIndex={tabIndex} aria-label={`Select ${name}`} onClick={(event) => event.stopPropagation()} onChange={() => select([id], 'toggle')} />
      </span>
      <span className="cell cell-name">
        <span className="row-title">
          <FileIcon />
          <span className="row-name" title={transfer.sourcePath}>
            {name}
          </span>
        </span>
        {failed && transfer.error ? (
          <span className="row-error" role="note">
            <span className="row-error-message" title={transfer.error.message}>
              {transfer.error.message}
            </span>
            <span className="row-error-hint">{transfer.error.hint ?? (transfer.error.retryable ? 'Retry when the problem is fixed.' : 'Check the destination in Settings, then retry.')}</span>
          </span>
        ) : (
          <span className="row-key" title={`${transfer.key} ← ${transfer.sourcePath}`}>
            {transfer.key}
          </span>
        )}
      </span>
      <span className="cell cell-size">{formatBytes(transfer.sizeBytes)}</span>
      <span className="cell cell-progress">
        <span
          className={`progress progress-${stateTone(transfer.state)}`}
          role="progressbar"
          aria-label={`${name} progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          {/* Keyed by transfer: a recycled row starts its bar afresh instead of animating from the last one's width. */}
          <span key={id} className="progress-fill" style={{ width: `${percent}%` }} />
        </span>
        <span className="progress-percent">{percent}%</span>
      </span>
      <span className="cell cell-speed">{moving ? formatSpeed(transfer.speedBytesPerSec) : '—'}</span>
      <span className="cell cell-eta">{moving ? formatEta(transfer.etaSeconds) : '—'}</span>
      <span className="cell cell-state">
        <span className={`chip chip-${stateTone(transfer.state)}`} data-testid="state-chip">
          {stateLabel(transfer.state)}
        </span>
      </span>
      <span className="cell cell-actions" onClick={(event) => event.stopPropagation()}>
        {canPause(transfer.state) ? (
          <button type="button" className="icon-button" tabIndex={tabIndex} aria-label={`Pause ${name}`} title="Pause" onClick={() => void act('pause', [id])}>
            <PauseIcon />
          </button>
        ) : null}
        {canResume(transfer.state) ? (
          <button type="button" className="icon-button" tabIndex={tabIndex} aria-label={`Resume ${name}`} title="Resume" onClick={() => void act('resume', [id])}>
            <PlayIcon />
          </button>
        ) : null}
        {canRetry(transfer.state) ? (
          <button type="button" className="icon-button icon-button-accent" tabIndex={tabIndex} aria-label={`Retry ${name}`} title="Retry" onClick={() => void act('retry', [id])}>
            <RetryIcon />
          </button>
        ) : null}
        {canCancel(transfer.state) ? (
          <button type="button" className="icon-button" tabIndex={tabIndex} aria-label={`Cancel ${name}`} title="Cancel" onClick={() => void act('cancel', [id])}>
            <CloseIcon />
          </button>
        ) : null}
        <button type="button" className="icon-button" tabIndex={tabIndex} aria-label={`Copy key of ${name}`} title="Copy key" onClick={() => void copyText(transfer.key, 'the key')}>
          <CopyIcon />
        </button>
      </span>
    </div>
  );
});
