// Human-readable sizes, speeds, durations and percentages for the transfer window.
// Binary units (KiB = 1024 bytes) shown with the short names people expect (KB, MB, GB).

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;
const STEP = 1024; // sizes are binary throughout Tierdrop (part sizes are MiB multiples)

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= STEP && unit < UNITS.length - 1) {
    value /= STEP;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${trimZeros(value.toFixed(digits))} ${UNITS[unit] ?? 'B'}`;
}

export function formatSpeed(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return '—';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** "45 s", "3 min", "1 h 20 min", "2 d 4 h"; null (unknown) is a dash. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  }
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? `${days} d` : `${days} d ${restHours} h`;
}

/** Whole percent, floored so 100 % only shows when every byte is done. */
export function percentDone(bytesDone: number, sizeBytes: number): number {
  if (sizeBytes <= 0) return bytesDone >= sizeBytes ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((bytesDone / sizeBytes) * 100)));
}

export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}

/** Parses "8", "8 MiB", "1.5 GB", "512k" into bytes (binary units); null when it is not a size. */
export function parseBytes(text: string, defaultUnit: 'B' | 'MiB' = 'B'): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!match) return null;
  const amount = Number(match[1]);
  const prefix = (match[2] ?? '').toLowerCase();
  const exponent = prefix === '' ? (defaultUnit === 'MiB' && (match[3] ?? '') === '' ? 2 : 0) : 'kmgt'.indexOf(prefix) + 1;
  const bytes = Math.round(amount * STEP ** exponent);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** The last path segment of a key or a path, whichever separator it uses. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return cut >= 0 ? trimmed.slice(cut + 1) : trimmed;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
