// Public face of the loopback host: `tierdrop serve`, the browser fallback of `npm start`, and tests.
export { startHost, DEFAULT_RENDERER_DIR, type HostOptions, type RunningHost } from './host.js';
export { CONTENT_SECURITY_POLICY } from './respond.js';
export { HEARTBEAT_INTERVAL_MS } from './event-stream.js';
export { MAX_JSON_BODY_BYTES } from './body.js';
export { openInBrowser } from './open-browser.js';
