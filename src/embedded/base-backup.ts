import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from 'postgres';

/**
 * Files and folders of a data directory that a base copy leaves out: they describe the
 * running source server, not its data (the list follows the PostgreSQL docs, "Making a Base
 * Backup Using the Low Level API"). The folders themselves are still created empty.
 */
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'current_logfiles',
  'shopgraph.node.conf',
]);
const EMPTIED_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
  'log',
]);

/**
 * Copies a running server's data directory with the low-level backup API
 * (`pg_backup_start` / `pg_backup_stop`): the embedded binaries have no pg_basebackup.
 * The copy starts as a standby and streams the WAL it lacks from `source` through a
 * replication slot reserved before the copy began, so no WAL it needs is recycled meanwhile.
 */
export async function copyRunningDataDir(source: Sql, sourceDir: string, targetDir: string, slotName: string): Promise<void> {
  await source`
    select pg_drop_replication_slot(slot_name) from pg_replication_slots
    where slot_name = ${slotName} and not active`;
  await source`
    select pg_create_physical_replication_slot(${slotName}, true)
    where not exists (select 1 from pg_replication_slots where slot_name = ${slotName})`;

  // pg_backup_start and pg_backup_stop must run in the same session.
  const session = await source.reserve();
  try {
    await session`select pg_backup_start(${`shopgraph ${slotName}`}, true)`;
    await fs.rm(targetDir, { recursive: true, force: true });
    await copyTree(sourceDir, targetDir, true);
    const [stop] = await session<{ labelfile: string; spcmapfile: string | null }[]>`
      select labelfile, spcmapfile from pg_backup_stop(false)`;
    if (!stop) throw new Error('pg_backup_stop returned no backup label');
    await fs.writeFile(path.join(targetDir, 'backup_label'), stop.labelfile, { mode: 0o600 });
    if (stop.spcmapfile) await fs.writeFile(path.join(targetDir, 'tablespace_map'), stop.spcmapfile, { mode: 0o600 });
  } finally {
    session.release();
  }
}

async function copyTree(from: string, to: string, isRoot: boolean): Promise<void> {
  await fs.mkdir(to, { mode: 0o700 });
  let entries;
  try {
    entries = await fs.readdir(from, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    if (isRoot && SKIPPED_FILES.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (isRoot && EMPTIED_DIRS.has(entry.name)) {
        await fs.mkdir(target, { mode: 0o700 });
        if (entry.name === 'pg_wal') await fs.mkdir(path.join(target, 'archive_status'), { mode: 0o700 });
        continue;
      }
      await copyTree(source, target, false);
    } else if (entry.isFile()) {
      // A relation may be dropped while we copy; WAL replay recreates whatever it needs.
      await fs.copyFile(source, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
}
