// The public face of core/tiered: TieredStorage (HV + LT tiers, tombstones, CAS commit, the
// durable changelog and its recovery), opening destinations through it, and orphan sweeping.
export { TieredStorage, DEFAULT_INLINE_BELOW_BYTES, type TieredStorageOptions } from './tiered-storage.js';
export { openDestination, type OpenDestinationOptions, type OpenedDestination } from './open.js';
export { findOrphans, removeOrphans, DEFAULT_SWEEP_GRACE_MS, type Orphan } from './sweep.js';
export { TieredLayout, LT_FOLDER, isRevision } from './layout.js';
export { decodeTombstone, encodeTombstone, type Tombstone } from './tombstone.js';
export { UploadTokens, type TokenPayload } from './token.js';
export { LATE_WRITE_WINDOW_MS, type RecoveryReport } from './changelog.js';
export { probeConditionalWrites, SINGLE_WRITER_WARNING, type ConditionalWrites } from './conditional-probe.js';
