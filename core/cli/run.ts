// Running uploads from the command line until none is left, with Ctrl-C as a clean pause.
import type { SettingsPatch } from '../contract/index.js';
import { SyncService, resolveHome } from '../service/index.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './args.js';
import type { Output } from './output.js';

/**
 * Opens the service for a one-off command, reporting what it had to set aside. Saved sync roots
 * stay asleep: an upload, resume or cancel must not start watching folders (serve and app do).
 */
export function openService(output: Output, overrides: SettingsPatch = {}): SyncService {
  const { service, warnings } = SyncService.open(resolveHome(), overrides, { syncRoots: 'off' });
  for (const warning of warnings) output.info(warning);
  return service;
}

export async function runToCompletion(
  service: SyncService,
  output: Output,
  start: () => Promise<{ ids: string[]; problems: number }>,
): Promise<number> {
  const unsubscribe = service.on((event) => output.event(event));
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) {
      process.stderr.write('\nStopping now; the journal is consistent, parts in flight will be sent again.\n');
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    void service.engine.pauseAll();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const { ids, problems } = await start();
    await service.engine.whenIdle();
    output.finish();
    const views = ids.map((id) => service.journal.getUpload(id)).filter((row) => row !== null);
    if (interrupted) {
      const paused = views.filter((row) => row.state === 'paused').length;
      output.info(`Paused ${paused} upload${paused === 1 ? '' : 's'}. Run \`tierdrop resume\` to continue.`);
      return EXIT_INTERRUPTED;
    }
    const failed = views.filter((row) => row.state === 'failed').length;
    const done = views.filter((row) => row.state === 'done').length;
    output.info(`${done} uploaded, ${failed} failed, ${problems} skipped.`);
    return failed === 0 && problems === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    unsubscribe();
    await service.dispose();
  }
}
