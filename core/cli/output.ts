// How the CLI talks to a person: a one-line progress bar on a terminal, one JSON object per line
// with --json, and errors with what to do about them.
import type { ErrorInfo, TierdropEvent, TransferView } from '../contract/index.js';
import { formatBytes } from '../transfer/index.js';

export interface Output {
  event(event: TierdropEvent): void;
  problem(path: string, error: ErrorInfo): void;
  info(text: string): void;
  finish(): void;
}

export function jsonOutput(write: (line: string) => void = (line) => process.stdout.write(line)): Output {
  return {
    event: (event) => write(`${JSON.stringify(event)}\n`),
    problem: (path, error) => write(`${JSON.stringify({ type: 'problem', path, error })}\n`),
    info: (text) => write(`${JSON.stringify({ type: 'info', message: text })}\n`),
    finish: () => undefined,
  };
}

export function describeError(error: ErrorInfo): string {
  return error.hint ? `${error.message} ${error.hint}` : error.message;
}

const BAR_WIDTH = 24;
const REDRAW_INTERVAL_MS = 200;

/** A live line on stderr when it is a terminal; plain lines for finished files either way. */
export function humanOutput(stream: NodeJS.WriteStream = process.stderr): Output {
  const transfers = new Map<string, { sizeBytes: number; bytesDone: number; state: TransferView['state']; speed: number }>();
  const interactive = stream.isTTY === true;
  let lastDrawMs = 0;
  let drawn = false;

  const clearLine = () => {
    if (interactive && drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const say = (text: string) => {
    clearLine();
    stream.write(`${text}\n`);
  };
  const remember = (view: TransferView) => {
    transfers.set(view.id, { sizeBytes: view.sizeBytes, bytesDone: view.bytesDone, state: view.state, speed: view.speedBytesPerSec });
  };
  const draw = (force = false) => {
    if (!interactive) return;
    const nowMs = Date.now();
    if (!force && nowMs - lastDrawMs < REDRAW_INTERVAL_MS) return;
    lastDrawMs = nowMs;
    let total = 0;
    let done = 0;
    let speed = 0;
    let finished = 0;
    for (const transfer of transfers.values()) {
      total += transfer.sizeBytes;
      done += transfer.bytesDone;
      speed += transfer.speed;
      if (transfer.state === 'done') finished += 1;
    }
    const fraction = total === 0 ? 1 : done / total;
    const filled = Math.round(fraction * BAR_WIDTH);
    const eta = speed > 0 ? `${Math.ceil((total - done) / speed)} s left` : '';
    const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(1)}%  ${formatBytes(done)} of ${formatBytes(total)}  ${formatBytes(speed)}/s  ${finished}/${transfers.size} files  ${eta}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 120) - 1)}`);
    drawn = true;
  };

  return {
    event(event) {
      switch (event.type) {
        case 'transfers.added':
          for (const view of event.transfers) remember(view);
          break;
        case 'transfer.updated':
        case 'transfer.finished': {
          const view = event.transfer;
          remember(view);
          if (event.type === 'transfer.finished') {
            if (view.state === 'done') say(`done    ${view.key} (${formatBytes(view.sizeBytes)})`);
            else if (view.error) say(`failed  ${view.key}: ${describeError(view.error)}`);
          }
          break;
        }
        case 'transfer.progress':
          for (const item of event.items) {
            const known = transfers.get(item.id);
            if (known) {
              known.bytesDone = item.bytesDone;
              known.speed = item.speedBytesPerSec;
            }
          }
          break;
        case 'journal.recovered':
          say(event.message);
          break;
      }
      draw(event.type !== 'transfer.progress');
    },
    problem: (path, error) => say(`skipped ${path}: ${describeError(error)}`),
    info: say,
    finish: () => {
      draw(true);
      clearLine();
    },
  };
}
