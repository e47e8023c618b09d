import type { BackupSettings } from '../config.js';
import { HybridTarget, LocalTarget, S3Target, type BackupTarget } from '../db/backup/index.js';

/** The backup target the configuration names. */
export function backupTarget(settings: BackupSettings): BackupTarget {
  const local = () => new LocalTarget(settings.dir);
  const s3 = () => new S3Target(settings.s3!);
  switch (settings.target) {
    case 'local':
      return local();
    case 's3':
      return s3();
    case 'hybrid':
      return new HybridTarget([local(), s3()]);
  }
}
