import type { Readable } from 'node:stream';
import type { BackupManifest } from './manifest.js';

/**
 * Where backups are kept. A backup is written file by file and finished by its manifest;
 * a target lists only finished backups, and a failed backup leaves nothing that looks
 * finished (`abandon` removes what was written).
 */
export interface BackupTarget {
  /** For messages and the manifest's record of where it went: "local /var/backups", "s3 bucket/prefix". */
  readonly description: string;
  writeFile(id: string, file: string, content: Readable): Promise<void>;
  /** Writes the manifest, which makes the backup complete. */
  finish(manifest: BackupManifest): Promise<void>;
  /** Removes an unfinished backup's files. */
  abandon(id: string): Promise<void>;
  /** Finished backups, oldest first. */
  list(): Promise<BackupManifest[]>;
  manifest(id: string): Promise<BackupManifest>;
  readFile(id: string, file: string): Promise<Readable>;
  delete(id: string): Promise<void>;
}

export class BackupNotFoundError extends Error {
  constructor(id: string, where: string) {
    super(`There is no finished backup ${id} in ${where}; shopgraph backup list shows what there is.`);
    this.name = 'BackupNotFoundError';
  }
}
