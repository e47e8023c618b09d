import { asc, eq, isNull, and, sql } from 'drizzle-orm';
import { Store } from './store.js';
import { apiKeys, type ApiKeyRow } from './tables/index.js';

/**
 * The channel a revocation is announced on (NOTIFY on the primary, with the key id as the
 * payload), so that every server drops the key from its cache at once.
 */
export const KEY_REVOKED_CHANNEL = 'shopgraph_api_key_revoked';

export type NewApiKey = Pick<ApiKeyRow, 'id' | 'name' | 'secretHash' | 'scopes' | 'ratePerSecond'>;

/** API key records. Writes go to the primary; lookups may come from a replica. */
export class ApiKeyStore extends Store {
  insert(key: NewApiKey): Promise<ApiKeyRow> {
    return this.write(async (db) => {
      const [row] = await db.insert(apiKeys).values(key).returning();
      return row!;
    });
  }

  byId(id: string): Promise<ApiKeyRow | undefined> {
    return this.run(async (db) => (await db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]);
  }

  list(): Promise<ApiKeyRow[]> {
    return this.run((db) => db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)));
  }

  /**
   * Revokes a key and announces it on KEY_REVOKED_CHANNEL in the same transaction (PostgreSQL
   * delivers the notification when it commits); false when no active key has that id.
   */
  revoke(id: string): Promise<boolean> {
    return this.writeTransaction(async (tx) => {
      const rows = await tx
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      if (rows.length > 0) await tx.execute(sql`select pg_notify(${KEY_REVOKED_CHANNEL}, ${id})`);
      return rows.length > 0;
    });
  }
}
