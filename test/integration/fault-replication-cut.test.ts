import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { readLoad, sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A replica that receives nothing has no replay delay: PostgreSQL counts only WAL received
 * and not yet replayed. Here pg2's replication link is cut (its upstream setting points
 * nowhere) while ShopGraph still reaches it, so it answers probes, lags a few kB, and misses
 * every write; the manager (lag bound 1 s) must count how long that WAL has existed.
 */
let cluster: PrivateCluster;
let server: TestServer;
let pg2: postgres.Sql;

beforeAll(async () => {
  cluster = await startPrivateCluster({ manager: { maxReplicaLagSeconds: 1 } });
  server = await startTestServer(cluster.manager);
  pg2 = postgres(cluster.cluster.node('pg2').url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await pg2?.end();
  await server?.stop();
  await cluster?.stop();
});

describe('a replica whose replication link is cut', () => {
  it('serves no read once the writes it lacks are older than the lag bound', async () => {
    await pg2`alter system set primary_conninfo = 'host=127.0.0.1 port=1 connect_timeout=1'`;
    await pg2`select pg_reload_conf()`;
    try {
      await eventually(async () => expect(await pg2`select 1 from pg_stat_wal_receiver where status = 'streaming'`).toHaveLength(0));
      const sku = `CUT-${randomUUID()}`;
      const created = await server.request(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`, {
        input: { sku, name: 'Never reaches pg2', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
      });
      expect(created.errors).toBeUndefined();
      // The bound, plus a probe round for the manager to see both replicas' positions.
      await sleep(2000);

      const load = await readLoad(server, `{ product(sku: "${sku}") { sku } }`, { concurrency: 4, until: sleep(500) });
      expect(load.failures).toEqual([]);
      expect([...load.byNode.keys()]).toEqual(['pg3']);
      expect(load.responses.every((response) => response.data!.product?.sku === sku)).toBe(true);
      const status = cluster.manager.status().nodes.find((node) => node.name === 'pg2')!;
      expect(status).toMatchObject({ ineligible: 'lagging' });
      expect(status.lagSeconds).toBeGreaterThan(1);
    } finally {
      await pg2`alter system reset primary_conninfo`;
      await pg2`select pg_reload_conf()`;
    }
  });
});
