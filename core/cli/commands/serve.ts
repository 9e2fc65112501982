// `tierdrop serve [--port P] [--no-open]`: the window in a browser, served on 127.0.0.1 with a
// token per launch. Prints one ready line on stdout; Ctrl-C or SIGTERM pause uploads and exit 0.
import { openInBrowser, startHost, type RunningHost } from '../../host/index.js';
import { resolveHome } from '../../service/index.js';
import { TierdropError } from '../../errors/index.js';
import { EXIT_OK, parse, positiveInt } from '../args.js';

const MAX_PORT = 65_535;

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, { port: { type: 'string' }, 'no-open': { type: 'boolean', default: false } }, false);
  const port = typeof values.port === 'string' ? positiveInt(values.port, '--port') : 0;
  if (port > MAX_PORT) throw new TierdropError('invalid_input', `--port must be at most ${MAX_PORT}, not ${port}.`);
  const host = await startHost({ home: resolveHome(), port });
  for (const warning of host.warnings) process.stderr.write(`${warning}\n`);
  if (host.notice !== null) process.stderr.write(`${host.notice}\n`);
  process.stdout.write(`Tierdrop is ready at ${host.url}\n`);
  if (values['no-open'] !== true) openInBrowser(host.url);
  return serveUntilSignalled(host);
}

/** Runs until SIGINT or SIGTERM, then pauses uploads cleanly (they resume at the next start). */
export function serveUntilSignalled(host: RunningHost): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void host.close().then(() => resolve(EXIT_OK));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
