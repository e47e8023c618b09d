import { asc, eq, isNull, and, sql } from 'drizzle-orm';
import { Store } from './store.js';
import { apiKeys, type ApiKeyRow } from './tables/index.js';

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

  /** Revokes a key; false when no active key has that id. */
  revoke(id: string): Promise<boolean> {
    return this.write(async (db) => {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    });
  }
}
