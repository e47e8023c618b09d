export {
  createBackup,
  pruneBackups,
  restoreBackup,
  RestoreRefusedError,
  verifyBackup,
  type Progress,
  type VerifyReport,
} from './backup.js';
export { HybridTarget } from './hybrid-target.js';
export { LocalTarget } from './local-target.js';
export type { BackupManifest, BackupTable } from './manifest.js';
export { S3Target, type S3Settings } from './s3-target.js';
export { BackupNotFoundError, type BackupTarget } from './target.js';
export { BackupScheduler, SCHEDULED_BACKUP_LOCK, type BackupHealth, type ScheduledRun } from './scheduler.js';
