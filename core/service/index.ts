// Public face of the service layer.
export { SyncService, type OpenedService } from './service.js';
export { resolveHome, journalPath, settingsPath } from './home.js';
export { loadSettings, saveSettings } from './settings-store.js';
export { StagingArea, stagingRoot, safeRelativeSegments } from './staging.js';
export { resumeLastSession, recoveryMessage, type RecoveredEvent } from './recovery.js';
