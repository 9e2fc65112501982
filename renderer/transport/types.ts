// The Transport: how the window reaches core, whichever shell hosts it (the loopback HTTP host or
// Electron's preload). Components and the store only ever see this interface.
import type {
  CommandInput,
  CommandName,
  CommandOutput,
  Result,
  Snapshot,
  TierdropEvent,
} from '../../core/contract/index.js';

export type { Snapshot };

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface TransportListener {
  snapshot(snapshot: Snapshot): void;
  event(event: TierdropEvent): void;
  connection(state: ConnectionState): void;
}

/** A file a person dropped or picked, with its path relative to what they dropped ("photos/a.jpg"). */
export interface DroppedFile {
  file: File;
  relativePath: string;
}

/** What arrived in a drop or a picker: the top-level files (folders included) and a way to walk them. */
export interface Drop {
  /** Top-level items as File objects (a dropped folder is one entry), for shells that resolve paths. */
  topLevel: File[];
  /** Every file under what was dropped, walked lazily. */
  files(): Promise<DroppedFile[]>;
  /** Names of the top-level items that are folders, where the drop tells (a drop event does; an input does not). */
  folderNames?: readonly string[];
}

export interface StagingProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface Transport {
  readonly kind: 'http' | 'electron';
  command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>>;
  /** Starts delivering snapshot, events and connection changes; the returned function stops it. */
  connect(listener: TransportListener): () => void;
  /** Hands dropped or picked files to core: by path in Electron, streamed to the host in a browser. */
  addDrop(drop: Drop, destination: string, onStaging: (progress: StagingProgress) => void): Promise<Result<{ ids: string[] }>>;
  /**
   * Paths of dropped items on the machine core runs on, where the shell knows them (Electron);
   * absent where a drop arrives as bytes only (a browser), so it cannot become a sync root.
   */
  pathsOf?(files: readonly File[]): string[];
  /** Native pickers where the shell has them; null means the window uses its own file inputs. */
  readonly pickers: { files(): Promise<string[]>; folder(): Promise<string | null> } | null;
}

export function failure(code: 'unreachable' | 'invalid_input' | 'internal' | 'access_denied', message: string, hint?: string): { ok: false; error: { code: typeof code; message: string; retryable: boolean; hint?: string } } {
  return { ok: false, error: { code, message, retryable: code === 'unreachable', ...(hint === undefined ? {} : { hint }) } };
}
