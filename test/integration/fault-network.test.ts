import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { readLoad, sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Network faults between ShopGraph and one replica, through a TCP proxy on that link:
 * black-holed (no reset, nothing arrives), dropping every connection, or slow.
 */
let cluster: PrivateCluster;
let manager: ConnectionManager;
let server: TestServer;
const proxies = new Map<string, TcpProxy>();

beforeAll(async () => {
  cluster = await startPrivateCluster();
  for (const node of cluster.cluster.nodes) proxies.set(node.name, await startTcpProxy({ host: '127.0.0.1', port: node.port }));
  manager = await ConnectionManager.start({
    nodes: cluster.cluster.nodes.map((node) => ({ name: node.name, url: proxies.get(node.name)!.proxyUrl(node.url) })),
    poolSize: 4,
    probeIntervalMs: 200,
    probeTimeoutMs: 500,
    statementTimeoutMs: 1500,
  });
  server = await startTestServer(manager);
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  for (const proxy of proxies.values()) await proxy.close();
  await cluster?.stop();
});

const QUERY = '{ products(first: 3) { totalCount nodes { sku } } }';
const stateOf = (name: string) => manager.status().nodes.find((node) => node.name === name)!.state;

async function restore(name: string): Promise<void> {
  proxies.get(name)!.setMode({ kind: 'pass' });
  await eventually(() => Promise.resolve(expect(stateOf(name)).toBe('up')), { timeoutMs: 10_000 });
}

describe('a black-holed replica link', () => {
  it('is taken out within a few probe timeouts, with every read still answered', async () => {
    const cutAt = Date.now();
    proxies.get('pg2')!.setMode({ kind: 'blackhole' });
    let ejectedAfter = 0;
    const ejected = eventually(() => Promise.resolve(expect(stateOf('pg2')).not.toBe('up')), { timeoutMs: 10_000 }).then(
      () => (ejectedAfter = Date.now() - cutAt),
    );
    const load = await readLoad(server, QUERY, { concurrency: 4, until: ejected.then(() => sleep(1000)) });
    expect(load.failures).toEqual([]);
    expect(ejectedAfter).toBeLessThan(3000);
    await restore('pg2');
  });
});

describe('a replica link that drops every connection', () => {
  it('costs no read: each one lost is retried on another node', async () => {
    proxies.get('pg3')!.setMode({ kind: 'drop' });
    const load = await readLoad(server, QUERY, { concurrency: 4, until: sleep(1500) });
    expect(load.failures).toEqual([]);
    expect(load.byNode.get('pg3')).toBeUndefined();
    await restore('pg3');
  });
});

describe('a slow replica link', () => {
  it('gets less of the load than the fast one', async () => {
    proxies.get('pg2')!.setMode({ kind: 'delay', ms: 40 });
    await sleep(1000);
    const load = await readLoad(server, QUERY, { concurrency: 6, until: sleep(2000) });
    expect(load.failures).toEqual([]);
    expect(load.byNode.get('pg3') ?? 0).toBeGreaterThan(2 * (load.byNode.get('pg2') ?? 0));
    await restore('pg2');
  });
});
