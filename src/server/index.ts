/**
 * The sync server library's whole public surface. The hosts (src/host, src/main, src/headless)
 * import the server only from here; lint forbids reaching into its folders, so what is not
 * exported below can be changed without looking outside src/server.
 */

// Starting and running a server.
export { createSyncServer } from './sync-server.ts';
export type { SyncServer, SyncServerDeps } from './sync-server.ts';
export { configForStart, startSyncServer, StartFailure } from './start-server.ts';
export type { RunningServer } from './start-server.ts';
export { configFromEnv, ConfigError, DEFAULT_MAX_PAYLOAD_MEGS } from './config.ts';
export type { EnvUserEntry, ServerConfig } from './config.ts';
export { serverProcessDeps } from './server-process-deps.ts';
export type { ServerProcessDeps } from './server-process-deps.ts';
export { runInBackgroundPriority } from './util/background-priority.ts';
export { keepYoungGenerationSmall } from './util/small-young-generation.ts';

// What the hosts read or manage in a data folder.
export { AccountError, keyFromBeforeOf, openAccountStore } from './accounts/account-store.ts';
export type { AccountStore } from './accounts/account-store.ts';
export { BEFORE_DEVICE_ID, openDeviceStore } from './accounts/device-store.ts';
export type { DeviceRecord, DeviceStore } from './accounts/device-store.ts';
export { readActivity } from './activity.ts';
export type { ActivityRecords } from './activity.ts';
export { readStudyStats } from './stats/stats-file.ts';
export type { StudyStatsRecords } from './stats/stats-file.ts';
export { studyFiguresAt } from './stats/study-stats.ts';
export type { StudyStats } from './stats/study-stats.ts';
export { userPaths } from './user/user-state.ts';
export { KEEP_RULE } from './backups/backup-files.ts';
export { describeBackups, restoreBackupOffline } from './backups/backup-summaries.ts';
export type { BackupDescription } from './backups/backup-summaries.ts';
export { canBeFileHere, caseFoldKey } from './media/filenames.ts';

// A person's collection to take away: a consistent copy, then the package Anki imports.
export { copyCollectionOffline } from './user/collection-copy.ts';
export type { CollectionCopy } from './user/collection-copy.ts';
export { COLPKG_EXTENSION } from './collection/colpkg-name.ts';
export type { PackageSummary } from './collection/colpkg.ts';
/**
 * Writes a .colpkg (collection/colpkg.ts). Imported when first called: it brings the protobuf
 * codecs, which a server nobody syncs with does not need in memory (sync-engine.ts).
 */
export const writeCollectionPackage: typeof import('./collection/colpkg.ts').writeCollectionPackage = async (...args) =>
  (await import('./collection/colpkg.ts')).writeCollectionPackage(...args);

// Small tools the hosts share with the server.
export { createServer as createHttpServer } from './util/node-http.ts';
export { createLogger, silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { writeFileAtomically } from './util/atomic-file.ts';
export { Mutex } from './util/mutex.ts';
export { listenerSet } from './util/listeners.ts';
