import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToken } from '../../src/cluster/index.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { plainPromote } from '../support/faults.js';
import { gid } from '../support/ids.js';
import { readLoad, sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The schedule that lost acknowledged orders (issue 11): the primary pg1 is killed, pg2 is
 * promoted with a plain pg_ctl promote (no replica re-pointed, no synchronous standby), pg1
 * is started again as it was (timeline 1, and pg3 follows it again), and then the new
 * primary pg2 misses probes. Timelines only go forward: pg1 and pg3 serve nothing, whatever
 * pg2 answers at the moment.
 */
const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id } } }`;
const STATUS = `{ clusterStatus { mode primary timeline durability synchronousStandbys nodes { name role state fenced timeline } } }`;
const READ = '{ product(sku: "SKU-000001") { sku } }';

let cluster: PrivateCluster;
let server: TestServer;

const orderInput = () => ({
  customerId: gid('Customer', 1),
  items: [{ productId: gid('Product', 2), quantity: 1 }],
  idempotencyKey: randomUUID(),
});
const nodeStatus = (name: string) => cluster.manager.status().nodes.find((node) => node.name === name)!;

beforeAll(async () => {
  cluster = await startPrivateCluster({ manager: { requireSynchronousStandby: true } });
  server = await startTestServer(cluster.manager);
  await cluster.cluster.killNode('pg1');
  await plainPromote(cluster.cluster, 'pg2');
  await cluster.cluster.startNode('pg1', { asIs: true });
  await eventually(() => Promise.resolve(expect(nodeStatus('pg1')).toMatchObject({ state: 'up', fenced: true })), { timeoutMs: 15_000 });
  await eventually(() => Promise.resolve(expect(cluster.manager.primary?.name).toBe('pg2')));
});
afterAll(async () => {
  await cluster?.cluster.resumeNode('pg2').catch(() => {});
  await server?.stop();
  await cluster?.stop();
});

describe('after a plain promotion, with the old primary back as it was', () => {
  it('fences the old primary and the replica that follows it, and says the new primary commits alone', async () => {
    const status = (await server.request(STATUS)).data!.clusterStatus;
    expect(status).toMatchObject({ primary: 'pg2', timeline: 2, durability: 'LOCAL_ONLY', synchronousStandbys: [], mode: 'READ_ONLY' });
    expect(status.nodes).toEqual([
      { name: 'pg1', role: 'PRIMARY', state: 'UP', fenced: true, timeline: 1 },
      { name: 'pg2', role: 'PRIMARY', state: 'UP', fenced: false, timeline: 2 },
      { name: 'pg3', role: 'REPLICA', state: 'UP', fenced: false, timeline: 1 },
    ]);
  });

  it("refuses writes with PRIMARY_UNAVAILABLE while no standby confirms the new primary's commits", async () => {
    const response = await server.request(PLACE_ORDER, { input: orderInput() });
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'PRIMARY_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(response.errors![0]!.message).toMatch(/no synchronous standby confirms the primary's commits/);
  });

  it('serves reads from the new primary only, never from the old timeline', async () => {
    const load = await readLoad(server, READ, { concurrency: 4, until: sleep(400) });
    expect(load.failures).toEqual([]);
    expect([...load.byNode.keys()]).toEqual(['pg2']);
  });

  it('sends a read with a token no replica can reach to the primary at once, without waiting', async () => {
    const before = cluster.manager.stats.tokenWaits.timedOut;
    const token = encodeToken({ timeline: 2, lsn: cluster.manager.primary!.lsn });
    const response = await server.request(READ, {}, { 'x-consistency-token': token });
    expect(response.extensions!.routing).toMatchObject({ node: 'pg2', fallbackReason: 'replicas-unhealthy' });
    expect(cluster.manager.stats.tokenWaits.timedOut).toBe(before);
  });

  it('elects nobody and serves nothing from the old timeline while the new primary misses probes', async () => {
    await cluster.cluster.pauseNode('pg2');
    try {
      await eventually(() => Promise.resolve(expect(nodeStatus('pg2').state).not.toBe('up')), { timeoutMs: 5000 });
      expect(cluster.manager.primary).toBeUndefined();
      expect(cluster.manager.status()).toMatchObject({ timeline: 2, mode: 'read-only' });

      const load = await readLoad(server, READ, { concurrency: 4, until: sleep(400) });
      expect(load.byNode).toEqual(new Map());
      expect(new Set(load.failures.map(({ response }) => response.errors![0]!.extensions.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    } finally {
      await cluster.cluster.resumeNode('pg2');
    }
    await eventually(() => Promise.resolve(expect(cluster.manager.primary?.name).toBe('pg2')));
  });
});

describe('once a replica follows the new primary', () => {
  it('takes writes on the new primary, confirmed by that replica', async () => {
    // pg3 replayed what pg1 wrote after it came back (its start-up checkpoint at least), past
    // the point where timeline 2 forked off: it has to be copied anew to follow pg2.
    await cluster.cluster.findPrimary();
    await cluster.cluster.rebuildAsReplica('pg3', 'followed the superseded pg1');
    await cluster.cluster.configurePrimary();
    await eventually(
      async () => {
        const response = await server.request(PLACE_ORDER, { input: orderInput() });
        expect(response.errors).toBeUndefined();
        expect(response.extensions!.routing!.node).toBe('pg2');
      },
      { timeoutMs: 15_000 },
    );
    expect((await server.request(STATUS)).data!.clusterStatus).toMatchObject({ durability: 'SYNCHRONOUS', synchronousStandbys: ['pg3'] });
  });

  it('elects nobody, never the old primary, while the new primary misses probes', async () => {
    await cluster.cluster.pauseNode('pg2');
    try {
      await eventually(() => Promise.resolve(expect(nodeStatus('pg2').state).not.toBe('up')), { timeoutMs: 5000 });
      expect(cluster.manager.primary).toBeUndefined();
      expect(nodeStatus('pg1').fenced).toBe(true);

      const write = await server.request(PLACE_ORDER, { input: orderInput() });
      expect(write.errors![0]!.extensions.code).toBe('PRIMARY_UNAVAILABLE');
      // What the manager saw of pg3 meanwhile, for the failure message: why it could not serve, if it could not.
      const seen = new Set<string>();
      const watching = setInterval(() => {
        const { state, ineligible, lagSeconds, lagBytes } = nodeStatus('pg3');
        seen.add(JSON.stringify({ state, ineligible, lagSeconds, lagBytes }));
      }, 10);
      const load = await readLoad(server, READ, { concurrency: 4, until: sleep(400) }).finally(() => clearInterval(watching));
      expect(load.failures, `pg3 as the manager saw it: ${[...seen].join(' ')}`).toEqual([]);
      expect([...load.byNode.keys()]).toEqual(['pg3']);
    } finally {
      await cluster.cluster.resumeNode('pg2');
    }
  });

  it('takes writes on the new primary again as soon as it answers', async () => {
    await eventually(
      async () => {
        const response = await server.request(PLACE_ORDER, { input: orderInput() });
        expect(response.errors).toBeUndefined();
        expect(response.extensions!.routing!.node).toBe('pg2');
      },
      { timeoutMs: 10_000 },
    );
  });
});
