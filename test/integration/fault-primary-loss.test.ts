import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id } } }`;
const STATUS = `{ clusterStatus { mode primary nodes { name role state fenced timeline } } }`;

let cluster: PrivateCluster;
let server: TestServer;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  server = await startTestServer(cluster.manager);
});
afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

const orderInput = () => ({
  customerId: gid('Customer', 1),
  items: [{ productId: gid('Product', 1), quantity: 1 }],
  idempotencyKey: randomUUID(),
});

describe('losing the primary', () => {
  let acknowledged: { key: string; id: string };

  it('keeps an acknowledged write, which a replica confirmed before the client heard back', async () => {
    const input = orderInput();
    const response = await server.request(PLACE_ORDER, { input });
    expect(response.errors).toBeUndefined();
    acknowledged = { key: input.idempotencyKey, id: response.data!.placeOrder.order.id };
    await cluster.cluster.killNode('pg1');
  });

  it('refuses writes at once with PRIMARY_UNAVAILABLE while queries go on from replicas', async () => {
    await eventually(() => Promise.resolve(expect(cluster.manager.primary).toBeUndefined()));
    const started = Date.now();
    const write = await server.request(PLACE_ORDER, { input: orderInput() });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(write.errors![0]!.extensions).toMatchObject({ code: 'PRIMARY_UNAVAILABLE', retryAfterSeconds: 1 });

    const read = await server.request('{ product(sku: "SKU-000001") { sku } }');
    expect(read.data!.product).toEqual({ sku: 'SKU-000001' });
    expect(read.extensions!.routing!.role).toBe('replica');

    const status = await server.request(STATUS);
    expect(status.data!.clusterStatus).toMatchObject({ mode: 'READ_ONLY', primary: null });
  });

  it('follows a promoted replica for writes, with no restart and no configuration change', async () => {
    const { to } = await cluster.cluster.failover();
    const promotedAt = Date.now();
    let response;
    do response = await server.request(PLACE_ORDER, { input: orderInput() });
    while (response.errors && Date.now() - promotedAt < 5000);
    expect(response.errors).toBeUndefined();
    expect(response.extensions!.routing).toMatchObject({ role: 'primary', node: to });
    expect(Date.now() - promotedAt).toBeLessThan(3000);
  });

  it('counts the promotion as one failover, though there was no primary in between', () => {
    expect(cluster.manager.stats.failovers).toBe(1);
  });

  it('still has the acknowledged order on the new primary', async () => {
    const response = await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 1), items: [{ productId: gid('Product', 1), quantity: 1 }], idempotencyKey: acknowledged.key },
    });
    expect(response.data!.placeOrder).toEqual({ replayed: true, order: { id: acknowledged.id } });
  });

  it('rebuilds the old primary as a replica of the new one when it comes back', async () => {
    await cluster.cluster.startNode('pg1');
    const primary = cluster.cluster.primaryName;
    await eventually(async () => {
      const status = await server.request(STATUS);
      expect(status.data!.clusterStatus.mode).toBe('NORMAL');
      expect(status.data!.clusterStatus.primary).toBe(primary);
      expect(status.data!.clusterStatus.nodes.find((node: { name: string }) => node.name === 'pg1')).toMatchObject({
        role: 'REPLICA',
        state: 'UP',
        fenced: false,
        timeline: 2,
      });
    });
    const pg1 = postgres(cluster.cluster.node('pg1').url, { max: 1 });
    try {
      await eventually(async () => expect(await pg1`select 1 from orders where idempotency_key = ${acknowledged.key}`).toHaveLength(1));
    } finally {
      await pg1.end();
    }
  });
});
