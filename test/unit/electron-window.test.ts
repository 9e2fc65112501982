// The window's hardening as data: web preferences, navigation and window.open, and the private
// app scheme that serves only the built renderer, with the CSP on every answer.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../core/host/index.js';
import { APP_INDEX_URL, appResponseHeaders, fileForAppUrl } from '../../electron/app-protocol.js';
import { denyWindowOpen, isNavigationAllowed, permissionGranted, windowOptions } from '../../electron/window-options.js';

describe('window options', () => {
  it('isolate and sandbox the page, with no Node and no webviews', () => {
    const options = windowOptions('/app/preload.cjs');
    expect(options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    expect(options.show).toBe(false);
  });

  it('refuse navigation away from the app, every new window and every permission', () => {
    expect(isNavigationAllowed(APP_INDEX_URL)).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'tierdrop://elsewhere/', 'tierdrop://user:pw@app/', 'javascript:alert(1)', '']) {
      expect(isNavigationAllowed(url), url).toBe(false);
    }
    expect(denyWindowOpen()).toEqual({ action: 'deny' });
    expect(permissionGranted()).toBe(false);
  });
});

describe('the app scheme', () => {
  const root = join('/opt', 'tierdrop', 'renderer');

  it('maps app URLs to files inside the renderer folder only', () => {
    expect(fileForAppUrl('tierdrop://app/', root)).toBe(join(root, 'index.html'));
    expect(fileForAppUrl('tierdrop://app/index.html', root)).toBe(join(root, 'index.html'));
    expect(fileForAppUrl('tierdrop://app/assets/index-3f2a.js', root)).toBe(join(root, 'assets', 'index-3f2a.js'));
    for (const url of [
      'tierdrop://app/../secrets.txt',
      'tierdrop://app/%2e%2e/%2e%2e/etc/passwd',
      'tierdrop://app/a%00b',
      'tierdrop://other/index.html',
      'file:///opt/tierdrop/renderer/index.html',
      'tierdrop://app/%E0%A4%A',
    ]) {
      const file = fileForAppUrl(url, root);
      if (file !== null) expect(file.startsWith(`${root}/`), url).toBe(true);
      else expect(file).toBeNull();
    }
    // The URL parser folds dot segments first, so a climb can at most reach the folder's own root.
    expect(fileForAppUrl('tierdrop://app/%2e%2e/%2e%2e/etc/passwd', root)).toBe(join(root, 'etc', 'passwd'));
    expect(fileForAppUrl('tierdrop://app/a%00b', root)).toBeNull();
  });

  it('answers with the same strict CSP as the loopback host, and nosniff', () => {
    expect(appResponseHeaders('/x/index.html')).toEqual({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    });
    expect(appResponseHeaders('/x/assets/a.js')['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });
});
