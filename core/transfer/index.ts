// Public face of the transfer engine.
export { TransferEngine, multipartEtag, type AddResult, type EngineOptions, type StoreHandle } from './engine.js';
export { planUpload, parseSize, formatBytes, SINGLE_REQUEST_MAX_BYTES, type UploadPlan } from './plan.js';
export { ACTIVE_STATES, FINAL_STATES, UNFINISHED_STATES, canTransition, assertTransition } from './state.js';
export { expandSources, type SourceFile, type WalkProblem, type WalkResult } from './walk.js';
export { fingerprint, type Fingerprint } from './source.js';
export { backoffDelayMs } from './retry.js';
export { Semaphore, TokenBucket } from './limits.js';
export { ProgressMeter } from './progress.js';
export { toTransferView, type LiveProgress } from './view.js';
