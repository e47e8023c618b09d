import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A write whose connection breaks is retried only when it cannot have run, or when it is
 * idempotent; otherwise the client is told WRITE_OUTCOME_UNKNOWN. The connection is broken
 * for real, with pg_terminate_backend, at a chosen moment: while the transaction waits for a
 * row lock (before COMMIT), or while its COMMIT waits for a synchronous replica (after).
 */
let cluster: PrivateCluster;
let server: TestServer;
let primary: postgres.Sql;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  server = await startTestServer(cluster.manager);
  primary = postgres(cluster.cluster.node('pg1').url, { max: 4, onnotice: () => {} });
});
afterEach(async () => {
  for (const name of ['pg2', 'pg3']) if (!(await cluster.cluster.isRunning(name))) await cluster.cluster.startNode(name);
});
afterAll(async () => {
  await primary?.end();
  await server?.stop();
  await cluster?.stop();
});

const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`;

/** Terminates the ShopGraph backend on the primary that waits on `waitEvent`, once it does. */
async function terminateBackendWaitingOn(waitEventType: string): Promise<void> {
  await eventually(
    async () => {
      const [row] = await primary`
        select pg_terminate_backend(pid) as terminated from pg_stat_activity
        where application_name = 'shopgraph' and wait_event_type = ${waitEventType}`;
      expect(row?.terminated).toBe(true);
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
}

const ordersFor = async (productId: number) =>
  (await primary`select count(*)::int as n from order_items where product_id = ${productId}`)[0]!.n as number;

describe('a write whose connection breaks', () => {
  it('is retried, and applied once, when it broke before COMMIT', async () => {
    const productId = 11;
    const before = await ordersFor(productId);
    const blocker = await primary.reserve();
    try {
      await blocker`begin`;
      await blocker`select * from inventory_levels where product_id = ${productId} for update`;
      const placing = server.request(PLACE_ORDER, {
        input: { customerId: gid('Customer', 1), items: [{ productId: gid('Product', productId), quantity: 1 }] },
      });
      await terminateBackendWaitingOn('Lock');
      await blocker`rollback`;
      const response = await placing;
      expect(response.errors).toBeUndefined();
      expect(response.data!.placeOrder.replayed).toBe(false);
    } finally {
      blocker.release();
    }
    expect(await ordersFor(productId)).toBe(before + 1);
  });

  it('answers WRITE_OUTCOME_UNKNOWN when it broke after COMMIT was sent', async () => {
    await cluster.cluster.stopNode('pg2');
    await cluster.cluster.stopNode('pg3');
    const sku = `UNKNOWN-${randomUUID()}`;
    const creating = server.request(CREATE_PRODUCT, {
      input: { sku, name: 'Maybe', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
    });
    // With both replicas down, COMMIT waits for a synchronous replica to confirm.
    await terminateBackendWaitingOn('IPC');
    const response = await creating;
    expect(response.errors![0]!.extensions.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(response.errors![0]!.message).toMatch(/may or may not have been applied/);
    // It had in fact committed on the primary: "unknown" was the honest answer.
    expect(await primary`select 1 from products where sku = ${sku}`).toHaveLength(1);
  });

  it('is retried with its idempotency key, but not acknowledged while only the primary has it', async () => {
    await cluster.cluster.stopNode('pg2');
    await cluster.cluster.stopNode('pg3');
    const productId = 12;
    const before = await ordersFor(productId);
    const input = {
      customerId: gid('Customer', 1),
      items: [{ productId: gid('Product', productId), quantity: 1 }],
      idempotencyKey: randomUUID(),
    };
    const placing = server.request(PLACE_ORDER, { input });
    await terminateBackendWaitingOn('IPC');
    // The retry finds the order the first attempt committed, but on the primary alone: its
    // answer waits for a standby too, and breaks the same way.
    await terminateBackendWaitingOn('IPC');
    const response = await placing;
    expect(response.errors![0]!.extensions.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(await ordersFor(productId)).toBe(before + 1);

    await cluster.cluster.startNode('pg2');
    const again = await server.request(PLACE_ORDER, { input });
    expect(again.errors).toBeUndefined();
    expect(again.data!.placeOrder.replayed).toBe(true);
    expect(await ordersFor(productId)).toBe(before + 1);
  });
});

describe('a transaction', () => {
  it('runs every statement on one connection of one node, from BEGIN to COMMIT', async () => {
    const seen = await cluster.manager.route('write').run(
      (node) =>
        node.sql.begin(async (tx) => {
          const rows = [];
          for (let i = 0; i < 4; i++)
            rows.push((await tx`select pg_backend_pid() as pid, inet_server_port() as port, txid_current() as xid`)[0]);
          return rows;
        }),
      { kind: 'write' },
    );
    expect(new Set(seen.map((row) => JSON.stringify(row))).size).toBe(1);
    expect(seen[0]!.port).toBe(cluster.cluster.node('pg1').port);
  });
});
