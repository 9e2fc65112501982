// `tierdrop serve [--port P] [--no-open]`: the window in a browser, served on 127.0.0.1 with a
// token per launch. Prints one ready line on stdout; Ctrl-C or SIGTERM pause uploads and exit 0.
import { openInBrowser, startHost, type RunningHost } from '../../host/index.js';
import { resolveHome } from '../../service/index.js';
import { TierdropError } from '../../errors/index.js';
import { EXIT_OK, parse } from '../args.js';

const MAX_PORT = 65_535;

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, { port: { type: 'string' }, 'no-open': { type: 'boolean', default: false } }, false);
  const port = typeof values.port === 'string' ? portNumber(values.port) : 0;
  const host = await startHost({ home: resolveHome(), port });
  for (const warning of host.warnings) process.stderr.write(`${warning}\n`);
  if (host.notice !== null) process.stderr.write(`${host.notice}\n`);
  process.stdout.write(`Tierdrop is ready at ${host.url}\n`);
  if (values['no-open'] !== true) openInBrowser(host.url);
  return serveUntilSignalled(host);
}

/** A port to listen on; 0 asks the system for any free one (the ready line names the real port). */
export function portNumber(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(port) || port > MAX_PORT) {
    throw new TierdropError('invalid_input', `--port must be a whole number from 0 to ${MAX_PORT}, not "${text}".`, {
      hint: 'Use --port 0, or leave it out, to take any free port.',
    });
  }
  return port;
}

/** Runs until SIGINT or SIGTERM, then pauses uploads cleanly (they resume at the next start). */
export function serveUntilSignalled(host: RunningHost): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void host.close().then(() => {
        if (host.isServiceStopped()) return resolve(EXIT_OK);
        process.stderr.write('A request to the store did not stop in time; its upload resumes at the next start.\n');
        resolve(EXIT_OK);
        // The stuck socket would keep this process alive until the store answers; the journal holds the state.
        setTimeout(() => process.exit(EXIT_OK), 0).unref();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
