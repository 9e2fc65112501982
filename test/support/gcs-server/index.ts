// The GCS JSON-API test server's public face: start one on a free loopback port over a data folder,
// steer its faults, read its stats, close it. Everything else in this folder is private to it.
export { startGcsTestServer } from './server.js';
export type { GcsTestServer, GcsTestServerOptions } from './server.js';
export { GcsFaultsSchema, type GcsFaults } from './faults.js';
export type { GcsServerStats } from './stats.js';
export { crc32cBase64, crc32cOf } from './crc32c.js';
