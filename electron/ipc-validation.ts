// Validating what the window sends before core sees it: the command name must be one the contract
// declares, and the input must parse with that command's schema. Failures are answered as data.
import { Commands, type CommandName, type ErrorInfo, type Result } from '../core/contract/index.js';

export type ParsedCommand = { ok: true; name: CommandName; input: unknown } | { ok: false; answer: Result<never> };

export function parseCommandMessage(name: unknown, input: unknown): ParsedCommand {
  if (typeof name !== 'string' || !Object.hasOwn(Commands, name)) {
    return refuse(`There is no command ${JSON.stringify(name)}.`);
  }
  const commandName = name as CommandName;
  const parsed = Commands[commandName].input.safeParse(input);
  if (!parsed.success) return refuse(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '));
  return { ok: true, name: commandName, input: parsed.data };
}

/** Picker and subscribe messages carry no arguments; anything else is a page misbehaving. */
export function hasNoArguments(args: readonly unknown[]): boolean {
  return args.length === 0;
}

export function refusal(code: ErrorInfo['code'], message: string): Result<never> {
  return { ok: false, error: { code, message, retryable: false } };
}

function refuse(message: string): ParsedCommand {
  return { ok: false, answer: refusal('invalid_input', message) };
}
