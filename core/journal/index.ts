// The journal module: Tierdrop's durable SQLite changelog of uploads and their parts, which the
// transfer engine writes before it acts and rebuilds itself from after a restart.
export { Journal } from './journal.js';
export { APPLICATION_ID } from './connection.js';
export { LATEST_SCHEMA_VERSION } from './migrations/index.js';
export * from './types.js';
export { ChangePhase, ChangeRow, ChangeStore, type ChangePatch, type NewChange } from './changes.js';
export {
  DeletionPolicy,
  SyncEntryRow,
  SyncEntryStatus,
  SyncIndexStore,
  SyncRootRow,
  foldKey,
  type NewSyncRoot,
  type SeenFile,
  type SyncRootPatch,
} from './sync-index.js';
