// The public face of server-kit: what the S3 and GCS test servers share (body intake, fault plans,
// disk records, blob files, the HTTP scaffolding and the admin surface), so each keeps only its protocol.
export { ADMIN_PREFIX, handleAdmin, type AdminSurface } from './admin.js';
export { BlobReaders, openDataFolder, type BlobPiece, type DataFolder } from './blobs.js';
export { discardSink, drainRequest, streamBody, type IntakeOptions } from './body.js';
export { KeyedMutex, TEMP_SUFFIX, errorCode, linkOrCopy, readRecord, removeQuietly, writeJsonAtomic } from './disk.js';
export { ConnectionGone } from './errors.js';
export { FaultPlanBase, Probability, commonFaultFields, rateFor, type CommonDecision, type CommonFaults } from './faults.js';
export { listenOnLoopback, type HttpServerOptions, type ListeningServer } from './http.js';
export { ByteThrottle } from './throttle.js';
