import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { readLoad, sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PRODUCT_PAGE = '{ products(first: 5) { totalCount nodes { sku inventory { totalAvailable } } } }';

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

describe('losing a replica', () => {
  it('answers every read correctly while a replica is killed under load', async () => {
    const killed = sleep(400).then(() => cluster.cluster.killNode('pg2'));
    const load = await readLoad(server, PRODUCT_PAGE, { concurrency: 6, until: killed.then(() => sleep(1500)) });

    expect(load.failures).toEqual([]);
    expect(load.responses.length).toBeGreaterThan(20);
    for (const response of load.responses) expect(response.data!.products.totalCount).toBe(500);
    const status = cluster.manager.status().nodes.find((node) => node.name === 'pg2')!;
    expect(status.state).toBe('down');
  });

  it('sends no reads to the dead replica once it is out', async () => {
    const load = await readLoad(server, PRODUCT_PAGE, { concurrency: 4, until: sleep(500) });
    expect(load.failures).toEqual([]);
    expect(load.byNode.get('pg2')).toBeUndefined();
    expect(load.byNode.get('pg3')).toBeGreaterThan(0);
  });

  it('takes the replica back once it answers again', async () => {
    await cluster.cluster.startNode('pg2');
    await eventually(() => Promise.resolve(expect(cluster.manager.status().nodes.find((node) => node.name === 'pg2')!.state).toBe('up')), {
      timeoutMs: 10_000,
    });
    const load = await readLoad(server, PRODUCT_PAGE, { concurrency: 4, until: sleep(800) });
    expect(load.failures).toEqual([]);
    expect(load.byNode.get('pg2')).toBeGreaterThan(0);
  });
});
