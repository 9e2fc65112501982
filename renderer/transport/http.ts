// The Transport over the loopback host: commands as POST /api/command/:name with the bearer token,
// events as Server-Sent Events (a snapshot first, re-taken after every reconnect), dropped files
// streamed to /api/stage one request per file and then handed to core with addStaged.
import { z } from 'zod';
import { Commands, ErrorInfo, Snapshot, TierdropEvent, type CommandInput, type CommandName, type CommandOutput, type Result } from '../../core/contract/index.js';
import { failure, type Drop, type StagingProgress, type Transport, type TransportListener } from './types.js';

const Envelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfo }),
]);

const RECONNECT_MIN_MS = 500; // first retry soon: a restarted host is usually back within a second
const RECONNECT_MAX_MS = 5_000; // never leave the window stale for longer than this
const STAGE_PARALLEL_FILES = 3; // enough to hide per-request latency, few enough not to starve the engine

export class HttpTransport implements Transport {
  readonly kind = 'http';
  readonly pickers = null;

  constructor(
    private readonly token: string,
    private readonly base = '',
  ) {}

  async command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    const answer = await this.post(name, input);
    if (!answer.ok) return answer;
    const value = Commands[name].output.safeParse(answer.value);
    if (!value.success) return failure('internal', `The host answered ${name} with something unexpected.`);
    return { ok: true, value: value.data as CommandOutput<C> };
  }

  connect(listener: TransportListener): () => void {
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let delayMs = RECONNECT_MIN_MS;
    let stopped = false;

    const open = (): void => {
      source = new EventSource(`${this.base}/api/events?token=${encodeURIComponent(this.token)}`);
      source.addEventListener('snapshot', (message) => {
        const parsed = Snapshot.safeParse(parseJson(message.data));
        if (!parsed.success) return;
        delayMs = RECONNECT_MIN_MS;
        listener.snapshot(parsed.data);
        listener.connection('live');
      });
      source.onmessage = (message) => {
        const parsed = TierdropEvent.safeParse(parseJson(message.data));
        if (parsed.success) listener.event(parsed.data);
      };
      source.onerror = () => {
        // EventSource retries by itself only for some failures; closing and reopening ourselves makes
        // every drop behave the same and always re-takes the snapshot.
        source?.close();
        source = null;
        if (stopped) return;
        listener.connection('reconnecting');
        retryTimer = setTimeout(open, delayMs);
        delayMs = Math.min(delayMs * 2, RECONNECT_MAX_MS);
      };
    };
    listener.connection('connecting');
    open();
    return () => {
      stopped = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      source?.close();
    };
  }

  async addDrop(drop: Drop, destination: string, onStaging: (progress: StagingProgress) => void): Promise<Result<{ ids: string[] }>> {
    const files = await drop.files();
    if (files.length === 0) return failure('invalid_input', 'Nothing to upload: the drop held no files.', 'Drop files or folders that contain files.');
    const batch = newBatchId();
    const progress: StagingProgress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((sum, entry) => sum + entry.file.size, 0) };
    onStaging({ ...progress });
    let next = 0;
    let firstError: Result<never> | null = null;
    const worker = async (): Promise<void> => {
      while (firstError === null && next < files.length) {
        const entry = files[next];
        next += 1;
        if (!entry) continue;
        const query = new URLSearchParams({ destination, batch, path: entry.relativePath, size: String(entry.file.size) });
        const answer = await this.request(`/api/stage?${query.toString()}`, { method: 'PUT', body: entry.file, headers: { 'Content-Type': 'application/octet-stream' } });
        if (!answer.ok) {
          firstError = answer;
          return;
        }
        progress.filesDone += 1;
        progress.bytesDone += entry.file.size;
        onStaging({ ...progress });
      }
    };
    await Promise.all(Array.from({ length: Math.min(STAGE_PARALLEL_FILES, files.length) }, worker));
    if (firstError !== null) return firstError;
    return this.command('addStaged', { batch, destination });
  }

  private post(name: string, input: unknown): Promise<Result<unknown>> {
    return this.request(`/api/command/${encodeURIComponent(name)}`, {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { 'Content-Type': 'application/json' },
    });
  }

  private async request(path: string, init: RequestInit): Promise<Result<unknown>> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, headers: { ...init.headers, Authorization: `Bearer ${this.token}` } });
    } catch {
      return failure('unreachable', 'Tierdrop is not answering.', 'It may have been closed; start it again and reload this page.');
    }
    const body = parseJson(await response.text().catch(() => ''));
    const envelope = Envelope.safeParse(body);
    if (envelope.success) return envelope.data;
    if (response.status === 401 || response.status === 403) {
      return failure('access_denied', 'This page is not allowed to talk to Tierdrop.', 'Open the address Tierdrop printed when it started (it carries a fresh token).');
    }
    return failure('internal', `Tierdrop answered ${response.status} ${response.statusText}.`);
  }
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function newBatchId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
