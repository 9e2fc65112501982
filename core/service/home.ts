// Where Tierdrop keeps its journal and settings: $TIERDROP_HOME, else the platform's app-data folder.
import envPaths from 'env-paths';
import { join } from 'node:path';

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['TIERDROP_HOME'];
  if (given !== undefined && given.trim() !== '') return given;
  return envPaths('tierdrop', { suffix: '' }).data;
}

export function journalPath(home: string): string {
  return join(home, 'journal.sqlite');
}

export function settingsPath(home: string): string {
  return join(home, 'settings.json');
}

export function lockPath(home: string): string {
  return join(home, 'engine.lock');
}
