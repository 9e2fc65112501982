// The local-folder backend: the embedded default destination.
export { FsBackend, type FsBackendOptions } from './fs-backend.js';
export { fsError, type FsErrorContext } from './errors.js';
export { STATE_DIR_NAME, validateFsKey } from './layout.js';
export { DEFAULT_LOCK_TIMING, type LockTiming } from './lock.js';
