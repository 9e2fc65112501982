// An in-process SyncService on a temporary home, with retry timings short enough for tests.
import type { SettingsPatch } from '../../core/contract/index.js';
import { SyncService } from '../../core/service/index.js';
import { tempDir } from './files.js';

export const FAST_RETRIES: SettingsPatch = {
  retryBaseDelayMs: 10,
  retryMaxDelayMs: 50,
  maxAttempts: 3,
  stallTimeoutMs: 10_000,
};

export function openTestService(overrides: SettingsPatch = {}): { service: SyncService; home: string; cleanup: () => Promise<void> } {
  const home = tempDir('home');
  const { service } = SyncService.open(home.path, { ...FAST_RETRIES, ...overrides });
  return {
    service,
    home: home.path,
    cleanup: async () => {
      await service.dispose();
      home.cleanup();
    },
  };
}

export async function waitFor(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** S3 credentials the test server knows, for in-process services that read the AWS environment. */
export function useTestCredentials(): void {
  process.env['AWS_ACCESS_KEY_ID'] = 'tierdrop-test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'tierdrop-test-secret';
  process.env['AWS_REGION'] = 'us-east-1';
}
