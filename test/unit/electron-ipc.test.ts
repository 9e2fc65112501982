// What the desktop shell lets through from the window: only contract commands with valid input,
// only from our own top frame, over channels the sandboxed preload spells the same way.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../electron/channels.js';
import { parseCommandMessage } from '../../electron/ipc-validation.js';
import { isTrustedSender } from '../../electron/sender.js';

describe('command messages from the window', () => {
  it('passes a contract command with valid input, as the schema parsed it', () => {
    const parsed = parseCommandMessage('addFiles', { paths: ['/home/me/a.txt'], destination: 'file:///srv/store', extra: 'dropped' });
    expect(parsed).toEqual({ ok: true, name: 'addFiles', input: { paths: ['/home/me/a.txt'], destination: 'file:///srv/store' } });
  });

  it('answers an unknown or inherited command name with invalid_input, never a throw', () => {
    for (const name of ['formatDisk', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 42, null, undefined, { name: 'pause' }]) {
      const parsed = parseCommandMessage(name, {});
      expect(parsed.ok, String(name)).toBe(false);
      if (!parsed.ok) expect(parsed.answer).toMatchObject({ ok: false, error: { code: 'invalid_input', retryable: false } });
    }
  });

  it('refuses input the schema refuses, saying which field is wrong', () => {
    const parsed = parseCommandMessage('pause', { ids: [] });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok && !parsed.answer.ok) expect(parsed.answer.error.message).toContain('ids');
    expect(parseCommandMessage('addFiles', { paths: ['/a'], destination: 'http://evil.example/' }).ok).toBe(false);
    expect(parseCommandMessage('setSettings', { concurrency: 1_000 }).ok).toBe(false);
    expect(parseCommandMessage('addStaged', { batch: '../../etc', destination: 'file:///srv' }).ok).toBe(false);
  });
});

describe('who may send', () => {
  it('trusts only the top frame of the app origin', () => {
    expect(isTrustedSender({ url: 'tierdrop://app/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'tierdrop://app/', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'tierdrop://app/index.html', parent: { url: 'tierdrop://app/index.html' } })).toBe(false);
    for (const url of ['file:///home/me/evil.html', 'https://evil.example/', 'tierdrop://other/index.html', 'http://127.0.0.1:4000/', 'about:blank', 'not a url']) {
      expect(isTrustedSender({ url, parent: null }), url).toBe(false);
    }
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
});

describe('the preload', () => {
  const preload = readFileSync(new URL('../../electron/preload.cts', import.meta.url), 'utf8');

  it('uses exactly the channels main listens on', () => {
    const spelled = [...preload.matchAll(/^const [A-Z_]+ = '(tierdrop:[a-z-]+)';$/gm)].map((match) => match[1]);
    expect(spelled.sort()).toEqual(Object.values(CHANNELS).sort());
  });

  it('exposes exactly the bridge the window expects, and imports nothing but electron', () => {
    const exposed = [...preload.matchAll(/^ {2}([a-zA-Z]+): \(/gm)].map((match) => match[1]);
    expect(exposed).toEqual(['command', 'onEvent', 'pathForFile', 'pickFiles', 'pickFolder']);
    const required = [...preload.matchAll(/require\('([^']+)'\)/g)].map((match) => match[1]);
    expect(required).toEqual(['electron']);
    expect(preload).not.toMatch(/^import .* from /m);
  });
});
