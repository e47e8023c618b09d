import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedNodes } from '../support/cluster.js';

/**
 * postgres.js runs a catalog query (the array types) first on every new connection and
 * dropped its promise: when that query failed (the connection torn down as ShopGraph replaced
 * the pool of a node that had stopped answering), the process died of an unhandled rejection
 * (porsager/postgres#1192). The patch in .patches/ holds it.
 */
const unhandled: unknown[] = [];
const record = (reason: unknown) => void unhandled.push(reason);
afterEach(() => {
  process.off('unhandledRejection', record);
  unhandled.length = 0;
});

describe('the postgres driver', () => {
  it('fails only the query, not the process, when the type lookup of a new connection fails', async () => {
    process.on('unhandledRejection', record);
    // A 1 ms statement timeout from the start-up packet on cancels the catalog query itself.
    const sql = postgres(sharedNodes()[1]!.url, { max: 1, connection: { statement_timeout: 1 }, onnotice: () => {} });
    try {
      await expect(sql`select 1`).rejects.toMatchObject({ code: '57014' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      await sql.end();
    }
  });
});
