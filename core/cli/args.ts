// Argument handling shared by the commands: strict parsing, and validation at the boundary.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DestinationUrl } from '../contract/index.js';
import { TierdropError } from '../errors/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1; // something could not be done; the output says what
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130; // paused by Ctrl-C; `tierdrop resume` continues

export const USAGE_HINT = 'Run `tierdrop help` for the commands and their options.';

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new TierdropError('invalid_input', `${(error as Error).message}\n${USAGE_HINT}`);
  }
}

export function positiveInt(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new TierdropError('invalid_input', `${name} must be a whole number above 0, not "${text}".`);
  return value;
}

export function destination(text: string | undefined, flag: string): string {
  if (text === undefined) throw new TierdropError('invalid_input', `${flag} URL is required.\n${USAGE_HINT}`);
  const parsed = DestinationUrl.safeParse(text);
  if (!parsed.success) throw new TierdropError('invalid_input', `${text} is not a destination: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}
