import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import { projectRoot } from '../config.js';

/** Any fixed number works; it only has to be the same for every ShopGraph process. */
const MIGRATION_LOCK = 0x5109_7a11;

const migrationsFolder = path.join(projectRoot, 'drizzle');

/** Something that opens a database session of its own: a ClusterNode, or a URL wrapped. */
export interface SessionSource {
  openSession(): Sql;
}

/**
 * Applies the drizzle-kit migrations in `drizzle/` to the primary. An advisory lock held for
 * the whole session makes concurrent start-ups take turns instead of racing.
 */
export async function migrateDatabase(primary: SessionSource): Promise<void> {
  const session = primary.openSession();
  try {
    await session`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(session), { migrationsFolder });
  } finally {
    // Ending the session releases the lock.
    await session.end();
  }
}

/**
 * The hashes of the migrations this build knows, as drizzle records them in its journal
 * (SHA-256 of each migration file), oldest first.
 */
export function knownMigrationHashes(): string[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  return journal.entries.map(({ tag }) =>
    createHash('sha256')
      .update(readFileSync(path.join(migrationsFolder, `${tag}.sql`), 'utf8'))
      .digest('hex'),
  );
}
