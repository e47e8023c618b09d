import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Sql, TransactionSql } from 'postgres';
import { connectNode, type ConnectionManager } from '../../cluster/index.js';
import { knownMigrationHashes, migrateDatabase } from '../migrate.js';
import { newBackupId, type BackupManifest, type BackupTable } from './manifest.js';
import { BACKUP_TABLES } from './tables.js';
import type { BackupTarget } from './target.js';

export type Progress = (message: string) => void;

/**
 * Takes a consistent logical backup of every application table: from a healthy replica (the
 * primary only if none is fit), all tables in ONE repeatable-read snapshot, each streamed
 * with COPY in primary-key order, gzip-compressed, hashed twice (the file as stored, and the
 * data as COPY wrote it), and finished by a manifest. A failure leaves nothing behind.
 */
export async function createBackup(
  cluster: ConnectionManager,
  target: BackupTarget,
  progress: Progress = () => {},
): Promise<BackupManifest> {
  const { node } = await cluster.chooseReader();
  const startedAt = new Date();
  const id = newBackupId(startedAt, randomBytes(3).toString('hex').slice(0, 4));
  const session = node.openSession();
  progress(`backup ${id} from ${node.name} (${node.role}) to ${target.description}`);
  try {
    const manifest = await session.begin('isolation level repeatable read read only', async (tx) => {
      const [snapshot] = await tx<{ inRecovery: boolean; position: string }[]>`
        select pg_is_in_recovery() as "inRecovery",
          (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as position`;
      const [migration] = await tx<{ hash: string; createdAt: string }[]>`
        select hash, created_at::text as "createdAt" from drizzle.__drizzle_migrations order by created_at desc limit 1`;
      const tables: BackupTable[] = [];
      for (const table of BACKUP_TABLES) {
        const written = await backUpTable(tx, target, id, table);
        tables.push(written);
        progress(`  ${table.name}: ${written.rows} rows, ${written.bytes} bytes`);
      }
      return {
        format: 'shopgraph-backup/1',
        id,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        source: { node: node.name, role: snapshot!.inRecovery ? 'replica' : 'primary', walPosition: snapshot!.position },
        migration: { hash: migration!.hash, createdAt: Number(migration!.createdAt) },
        tables,
        rowCounts: Object.fromEntries(tables.map((table) => [table.name, table.rows])),
        totalBytes: tables.reduce((sum, table) => sum + table.bytes, 0),
      } satisfies BackupManifest;
    });
    await target.finish(manifest);
    progress(`backup ${id} finished: ${manifest.totalBytes} bytes`);
    return manifest;
  } catch (error) {
    await target.abandon(id).catch(() => {});
    throw error;
  } finally {
    await session.end();
  }
}

async function backUpTable(
  tx: TransactionSql,
  target: BackupTarget,
  id: string,
  table: (typeof BACKUP_TABLES)[number],
): Promise<BackupTable> {
  const columns = await columnsOf(tx, table.name);
  const file = `${table.name}.copy.gz`;
  const copy = await tx.unsafe(`copy (${selectAll(table, columns)}) to stdout`).readable();
  const content = new Digest(true);
  const stored = new Digest(false);
  // The compressed table is collected before it goes to the target, so the COPY always runs to
  // its end on the database, whatever happens to the target (a failed upload, a full disk).
  const chunks: Buffer[] = [];
  await pipeline(copy, content, createGzip(), stored, new Collect(chunks));
  await target.writeFile(id, file, Readable.from([Buffer.concat(chunks)]));
  return { name: table.name, columns, file, rows: content.lines, bytes: stored.bytes, sha256: stored.hex(), contentSha256: content.hex() };
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  problems: string[];
}

/** Checks a finished backup: every file is there, readable, and matches its checksums and row count. */
export async function verifyBackup(target: BackupTarget, id: string): Promise<VerifyReport> {
  const manifest = await target.manifest(id);
  const problems: string[] = [];
  for (const table of manifest.tables) {
    try {
      const stored = new Digest(false);
      const content = new Digest(true);
      await pipeline(await target.readFile(id, table.file), stored, createGunzip(), content, new Sink());
      if (stored.hex() !== table.sha256) problems.push(`${table.file}: the file's SHA-256 does not match the manifest`);
      if (content.hex() !== table.contentSha256) problems.push(`${table.file}: the data's SHA-256 does not match the manifest`);
      if (content.lines !== table.rows) problems.push(`${table.file}: ${content.lines} rows, the manifest says ${table.rows}`);
    } catch {
      problems.push(`${table.file}: missing or unreadable`);
    }
  }
  return { id, ok: problems.length === 0, problems };
}

export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

/**
 * Restores a backup into the database at `url`: checks the backup's schema is one this build
 * knows, refuses a database that already holds data (unless `force`, which empties it),
 * migrates it, loads every table in one transaction, and before committing reads every table
 * back and compares its row count and data checksum with the manifest.
 */
export async function restoreBackup(
  target: BackupTarget,
  id: string,
  url: string,
  options: { force?: boolean; progress?: Progress } = {},
): Promise<BackupManifest> {
  const progress = options.progress ?? (() => {});
  const manifest = await target.manifest(id);
  if (!knownMigrationHashes().includes(manifest.migration.hash)) {
    throw new RestoreRefusedError(
      `Backup ${id} has a schema this version of ShopGraph does not know (a newer one?); restore it with the version that took it.`,
    );
  }
  const session = connectNode(url, { max: 1, connect_timeout: 10 });
  try {
    const filled = await tablesWithRows(session);
    if (filled.length > 0 && !options.force) {
      throw new RestoreRefusedError(
        `The target database already holds data (${filled.join(', ')}); restore into an empty database, or pass --force to replace it.`,
      );
    }
    await migrateDatabase({ openSession: () => connectNode(url, { max: 1 }) });
    progress(`restoring ${id} (${manifest.totalBytes} bytes)`);
    await session.begin(async (tx) => {
      if (options.force) await tx.unsafe(`truncate ${BACKUP_TABLES.map((table) => table.name).join(', ')} restart identity cascade`);
      for (const table of manifest.tables) {
        const load = await tx.unsafe(`copy ${table.name} (${table.columns.map(quote).join(', ')}) from stdin`).writable();
        await pipeline(await target.readFile(id, table.file), createGunzip(), load);
        progress(`  ${table.name}: ${table.rows} rows`);
      }
      for (const table of BACKUP_TABLES.filter((candidate) => candidate.hasIdentity)) {
        await tx.unsafe(
          `select setval(pg_get_serial_sequence('${table.name}', 'id'), coalesce((select max(id) from ${table.name}), 0) + 1, false)`,
        );
      }
      for (const table of manifest.tables) {
        const spec = BACKUP_TABLES.find((candidate) => candidate.name === table.name)!;
        const content = new Digest(true);
        await pipeline(await tx.unsafe(`copy (${selectAll(spec, table.columns)}) to stdout`).readable(), content, new Sink());
        if (content.lines !== table.rows || content.hex() !== table.contentSha256) {
          throw new Error(
            `Restored ${table.name} does not match the backup (${content.lines} rows read back, ${table.rows} expected); nothing was restored.`,
          );
        }
      }
    });
    progress(`restored ${id}; every table matches the backup`);
    return manifest;
  } finally {
    await session.end();
  }
}

/**
 * Retention: keeps the newest `keep` backups, and of the others deletes those older than
 * `maxAgeDays` (all of them when no age is given). Returns the deleted ids.
 */
export async function pruneBackups(
  target: BackupTarget,
  { keep, maxAgeDays, now = new Date() }: { keep: number; maxAgeDays?: number; now?: Date },
): Promise<string[]> {
  const backups = await target.list();
  const candidates = backups.slice(0, Math.max(0, backups.length - keep));
  const cutoff = maxAgeDays === undefined ? Infinity : now.getTime() - maxAgeDays * 86_400_000;
  const doomed = candidates.filter((manifest) => new Date(manifest.startedAt).getTime() < cutoff);
  for (const manifest of doomed) await target.delete(manifest.id);
  return doomed.map((manifest) => manifest.id);
}

/** The columns that hold data: generated columns are computed again from them on restore (COPY refuses them). */
async function columnsOf(sql: Sql | TransactionSql, table: string): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select attname as name from pg_attribute
    where attrelid = ${table}::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`;
  return rows.map((row) => row.name);
}

async function tablesWithRows(sql: Sql): Promise<string[]> {
  const filled: string[] = [];
  for (const table of BACKUP_TABLES) {
    const [exists] = await sql<{ exists: boolean }[]>`select to_regclass(${`public.${table.name}`}) is not null as exists`;
    if (!exists?.exists) continue;
    const [row] = await sql.unsafe<{ filled: boolean }[]>(`select exists (select 1 from ${table.name}) as filled`);
    if (row?.filled) filled.push(table.name);
  }
  return filled;
}

function selectAll(table: (typeof BACKUP_TABLES)[number], columns: string[]): string {
  return `select ${columns.map(quote).join(', ')} from ${table.name} order by ${table.orderBy}`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** Passes bytes through while hashing them, counting them, and (for COPY text) its rows. */
class Digest extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  lines = 0;

  constructor(private readonly countLines: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // COPY's text format escapes newlines inside values, so each one ends a row.
    if (this.countLines) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines += 1;
    done(null, chunk);
  }

  hex(): string {
    return this.hash.copy().digest('hex');
  }
}

/** Keeps what it is given, in `chunks`. */
class Collect extends Writable {
  constructor(private readonly chunks: Buffer[]) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
}

/** Drops what it is given: the end of a pipeline that only hashes. */
class Sink extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    done();
  }
}
