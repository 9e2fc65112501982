// Watched folders: sync roots that keep a local folder uploaded to a destination through the
// transfer engine, with their index in the journal.
export { SyncManager, type SyncManagerOptions, type SyncMode } from './manager.js';
export { rootView } from './view.js';
export { IgnoreMatcher, DEFAULT_IGNORE_LINES, IGNORE_FILE_NAME } from './ignore.js';
export { keyOfLocalPath } from './local.js';
