import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { readLoad, sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * An old primary that comes back after a failover still believes it is the primary (it was
 * never told otherwise). Its timeline is older than the promoted node's, so it must get
 * neither writes nor reads.
 */
let cluster: PrivateCluster;
let server: TestServer;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  server = await startTestServer(cluster.manager);
  await cluster.cluster.killNode('pg1');
  await cluster.cluster.failover();
  await cluster.cluster.startNode('pg1', { asIs: true });
  await eventually(() => Promise.resolve(expect(cluster.manager.status().nodes.find((node) => node.name === 'pg1')!.state).toBe('up')));
});
afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

describe('two nodes that both claim to be primary', () => {
  it('fence the one on the older timeline and report it', async () => {
    const response = await server.request(`{ clusterStatus { mode primary conflict nodes { name role fenced timeline } } }`);
    const status = response.data!.clusterStatus;
    expect(status).toMatchObject({ primary: cluster.cluster.primaryName, conflict: false });
    expect(status.nodes.find((node: { name: string }) => node.name === 'pg1')).toEqual({
      name: 'pg1',
      role: 'PRIMARY',
      fenced: true,
      timeline: 1,
    });
  });

  it('send writes only to the primary on the newer timeline', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await server.request(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }`, {
        input: { customerId: gid('Customer', 1), items: [{ productId: gid('Product', 1), quantity: 1 }], idempotencyKey: randomUUID() },
      });
      expect(response.errors).toBeUndefined();
      expect(response.extensions!.routing!.node).toBe(cluster.cluster.primaryName);
    }
  });

  it('send no reads to the fenced node', async () => {
    const load = await readLoad(server, '{ warehouses { code } }', { concurrency: 4, until: sleep(500) });
    expect(load.failures).toEqual([]);
    expect(load.byNode.get('pg1')).toBeUndefined();
  });
});
