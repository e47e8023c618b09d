import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { ClusterNode } from '../cluster/index.js';
import { projectRoot } from '../config.js';

/** Any fixed number works; it only has to be the same for every ShopGraph process. */
const MIGRATION_LOCK = 0x5109_7a11;

/**
 * Applies the drizzle-kit migrations in `drizzle/` to the primary. An advisory lock held for
 * the whole session makes concurrent start-ups take turns instead of racing.
 */
export async function migrateDatabase(primary: ClusterNode): Promise<void> {
  const session = primary.openSession();
  try {
    await session`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(session), { migrationsFolder: path.join(projectRoot, 'drizzle') });
  } finally {
    // Ending the session releases the lock.
    await session.end();
  }
}
