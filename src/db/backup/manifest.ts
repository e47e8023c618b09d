/**
 * The description of a backup, written last: a backup without its manifest is unfinished
 * and is never listed, verified or restored.
 */
export interface BackupManifest {
  format: 'shopgraph-backup/1';
  id: string;
  /** When the snapshot was taken and when the last file was written. */
  startedAt: string;
  finishedAt: string;
  source: {
    /** The node the backup was read from (a replica when one was fit) and its role then. */
    node: string;
    role: 'primary' | 'replica';
    /** WAL position of the snapshot: how far the node had replayed (replica) or written (primary). */
    walPosition: string;
  };
  /** The last schema migration applied to the source (drizzle's hash and timestamp). */
  migration: { hash: string; createdAt: number };
  tables: BackupTable[];
  rowCounts: Record<string, number>;
  totalBytes: number;
}

export interface BackupTable {
  name: string;
  columns: string[];
  file: string;
  rows: number;
  /** Size and SHA-256 of the compressed file as stored. */
  bytes: number;
  sha256: string;
  /** SHA-256 of the table's COPY text in primary-key order: the data itself, for comparisons. */
  contentSha256: string;
}

/** Ids sort by time: `2026-11-24T02-03-04-567Z-ab12`. */
export function newBackupId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${random}`;
}

export function isBackupId(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[a-z0-9]{4}$/.test(text);
}

export function parseManifest(text: string): BackupManifest {
  const manifest = JSON.parse(text) as BackupManifest;
  if (manifest.format !== 'shopgraph-backup/1' || !isBackupId(manifest.id) || !Array.isArray(manifest.tables)) {
    throw new Error('not a ShopGraph backup manifest');
  }
  return manifest;
}
