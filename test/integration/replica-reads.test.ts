import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gid } from '../support/ids.js';
import { pauseReplay } from '../support/replay.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Proof by observation that queries read a replica and mutations the primary: with replay
 * paused on every replica, a new product is visible in the mutation's payload (primary) but
 * not to a query (replica) until replay resumes. Uses a cluster of its own, since pausing
 * replay would hold back every other test's reads.
 */
let cluster: PrivateCluster;
let server: TestServer;
let replicas: postgres.Sql[];

beforeAll(async () => {
  cluster = await startPrivateCluster();
  server = await startTestServer(cluster.manager);
  replicas = cluster.cluster.nodes.slice(1).map((node) => postgres(node.url, { max: 1, onnotice: () => {} }));
});
afterAll(async () => {
  await Promise.all((replicas ?? []).map((sql) => sql`select pg_wal_replay_resume()`.catch(() => {}).then(() => sql.end())));
  await server?.stop();
  await cluster?.stop();
});

describe('where operations are served', () => {
  it('a mutation sees its own write on the primary while queries read replicas that have not replayed it yet', async () => {
    // Everything written so far (the test server's API key, which requests are checked
    // against on a replica) must be replayed before replay stops.
    const primary = postgres(cluster.cluster.node('pg1').url, { max: 1, onnotice: () => {} });
    const [position] = await primary<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
    await primary.end();
    for (const replica of replicas) {
      await eventually(async () =>
        expect((await replica`select pg_last_wal_replay_lsn() >= ${position!.lsn}::pg_lsn as caught`)[0]!.caught).toBe(true),
      );
    }
    for (const replica of replicas) await pauseReplay(replica);
    const sku = `PAUSED-${randomUUID()}`;
    const created = await server.request(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`, {
      input: { sku, name: 'Replay test', price: { amount: '5.00', currency: 'USD' }, categoryId: gid('Category', 2) },
    });
    expect(created.data!.createProduct.product.sku).toBe(sku);
    expect(created.extensions!.routing).toMatchObject({ role: 'primary', node: 'pg1' });

    for (let i = 0; i < 4; i++) {
      const read = await server.request(`query($sku: String!) { product(sku: $sku) { sku } }`, { sku });
      expect(read.data!.product).toBeNull();
      expect(read.extensions!.routing!.role).toBe('replica');
    }

    for (const replica of replicas) await replica`select pg_wal_replay_resume()`;
    await eventually(async () => {
      const read = await server.request(`query($sku: String!) { product(sku: $sku) { sku } }`, { sku });
      expect(read.data!.product).toEqual({ sku });
    });
  });
});
