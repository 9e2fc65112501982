// Settings on disk: a JSON file validated with the contract's schema. A damaged file is set aside
// (never overwritten) and the defaults are used, with a message saying so.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Settings, type SettingsPatch } from '../contract/index.js';

export interface LoadedSettings {
  settings: Settings;
  warning: string | null;
}

export function loadSettings(path: string): LoadedSettings {
  if (!existsSync(path)) return { settings: Settings.parse({}), warning: null };
  let problem: string;
  try {
    const parsed = Settings.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return { settings: parsed.data, warning: null };
    problem = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`).join('; ');
  } catch (error) {
    problem = (error as Error).message;
  }
  const aside = `${path}.damaged-${new Date().toISOString().replaceAll(':', '')}`;
  renameSync(path, aside);
  return {
    settings: Settings.parse({}),
    warning: `The settings file ${path} could not be read (${problem}); it was moved to ${aside} and the defaults are in use.`,
  };
}

export function saveSettings(path: string, settings: Settings): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function mergeSettings(current: Settings, patch: SettingsPatch): Settings {
  return Settings.parse({ ...current, ...patch });
}
