// The S3 protocol test server's public face: start one on a free loopback port over a data folder,
// steer its faults, read its stats, close it. Everything else in this folder is private to it.
export { startS3TestServer, DEFAULT_CREDENTIALS } from './server.js';
export type { S3TestServer, S3TestServerOptions } from './server.js';
export type { S3Faults } from './faults.js';
export { S3FaultsSchema } from './faults.js';
export type { S3ServerStats } from './stats.js';
export type { S3Credentials } from './sigv4.js';
