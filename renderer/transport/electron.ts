// The Transport over Electron's preload bridge (window.tierdrop). There is no snapshot message on
// IPC, so one is assembled from listTransfers and getSettings at connect; dropped files become
// host paths through the bridge's pathForFile.
import { z } from 'zod';
import type { CommandInput, CommandName, CommandOutput, Result, TierdropEvent } from '../../core/contract/index.js';
import { TierdropEvent as TierdropEventSchema } from '../../core/contract/index.js';
import { failure, type Drop, type StagingProgress, type Transport, type TransportListener } from './types.js';

/** Exactly what electron/preload exposes through contextBridge. */
export interface TierdropBridge {
  command(name: string, input: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
  pathForFile(file: File): string;
  pickFiles(): Promise<unknown>;
  pickFolder(): Promise<unknown>;
}

const PickedFiles = z.array(z.string().min(1));
const PickedFolder = z.string().min(1).nullable();

export class ElectronTransport implements Transport {
  readonly kind = 'electron';
  readonly pickers: Transport['pickers'];

  constructor(private readonly bridge: TierdropBridge) {
    // What main answers is checked like any message crossing the bridge; anything odd picks nothing.
    this.pickers = {
      files: async () => {
        const picked = PickedFiles.safeParse(await bridge.pickFiles());
        return picked.success ? picked.data : [];
      },
      folder: async () => {
        const picked = PickedFolder.safeParse(await bridge.pickFolder());
        return picked.success ? picked.data : null;
      },
    };
  }

  async command<C extends CommandName>(name: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    try {
      // The preload validates with the contract before and after IPC; the envelope is trusted here.
      return (await this.bridge.command(name, input)) as Result<CommandOutput<C>>;
    } catch (error) {
      return failure('internal', error instanceof Error ? error.message : 'The app did not answer.');
    }
  }

  connect(listener: TransportListener): () => void {
    let stopped = false;
    const early: TierdropEvent[] = [];
    let live = false;
    const unsubscribe = this.bridge.onEvent((raw) => {
      const parsed = TierdropEventSchema.safeParse(raw);
      if (!parsed.success) return;
      if (live) listener.event(parsed.data);
      else early.push(parsed.data);
    });
    listener.connection('connecting');
    void (async () => {
      const [transfers, settings] = await Promise.all([this.command('listTransfers', {}), this.command('getSettings', {})]);
      if (stopped) return;
      if (!transfers.ok || !settings.ok) {
        listener.connection('refused');
        return;
      }
      listener.snapshot({ transfers: transfers.value, settings: settings.value, notice: null });
      live = true;
      // Events that raced the snapshot are replayed; re-applying a newer fact is harmless.
      for (const event of early.splice(0)) listener.event(event);
      listener.connection('live');
    })();
    return () => {
      stopped = true;
      unsubscribe();
    };
  }

  pathsOf(files: readonly File[]): string[] {
    return files.map((file) => this.bridge.pathForFile(file)).filter((path) => path !== '');
  }

  async addDrop(drop: Drop, destination: string, onStaging: (progress: StagingProgress) => void): Promise<Result<{ ids: string[] }>> {
    const paths = drop.topLevel.map((file) => this.bridge.pathForFile(file)).filter((path) => path !== '');
    onStaging({ filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 });
    if (paths.length === 0) return failure('invalid_input', 'Nothing to upload: the drop held no files.');
    const [first, ...rest] = paths;
    if (first === undefined) return failure('invalid_input', 'Nothing to upload.');
    return this.command('addFiles', { paths: [first, ...rest], destination });
  }
}
