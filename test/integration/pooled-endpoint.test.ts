import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import { sharedNodes } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * One URL with both replicas behind it, each new connection to the next (as a Kubernetes
 * service or a cloud reader endpoint does), configured beside the primary's own URL.
 */
let balancer: TcpProxy;
let manager: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  const [primary, ...replicas] = sharedNodes();
  balancer = await startTcpProxy(replicas.map((node) => ({ host: '127.0.0.1', port: node.port })));
  manager = await ConnectionManager.start({
    nodes: [
      { name: primary!.name, url: primary!.url },
      { name: 'readers', url: balancer.proxyUrl(replicas[0]!.url) },
    ],
    poolSize: 2,
    probeIntervalMs: 100,
    probeReconnectMs: 150,
    modeHoldMs: 0,
  });
  server = await startTestServer(manager);
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await balancer?.close();
});

const readersStatus = () => manager.status().nodes.find((node) => node.name === 'readers')!;

describe('a node URL with several servers behind it', () => {
  it('is reported as a pooled endpoint, with the evidence, once its probes have reached two servers and back', async () => {
    await eventually(async () => expect(readersStatus().pooled).toMatch(/then another, then the first again/), { timeoutMs: 15_000 });
    const status = await server.request('{ clusterStatus { nodes { name pooled } } }');
    expect(status.data!.clusterStatus.nodes).toContainEqual({ name: 'readers', pooled: expect.stringMatching(/another/) });
  });

  it('serves reads without a token, and says in extensions.routing what the client does not get', async () => {
    const response = await server.request('{ product(sku: "SKU-000001") { sku } }');
    expect(response.data!.product).toEqual({ sku: 'SKU-000001' });
    expect(response.extensions!.routing).toMatchObject({ node: 'readers', role: 'replica', pooledEndpoint: true });
    expect(response.extensions!.consistency).toMatchObject({ warning: 'POOLED_ENDPOINT' });
  });

  it('serves no read with a consistency token: the primary does', async () => {
    // A write that changes nothing other tests look at: the product's name, set to itself.
    const { name } = (await server.request('{ product(id: $id) { name } }'.replace('$id', JSON.stringify(gid('Product', 2))))).data!
      .product;
    const write = await server.request('mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { name } } }', {
      input: { id: gid('Product', 2), name },
    });
    const token = write.headers.get('x-consistency-token')!;
    expect(token).toBeTruthy();
    const read = await server.request('{ product(sku: "SKU-000002") { name } }', {}, { 'x-consistency-token': token });
    expect(read.extensions!.routing).toMatchObject({ role: 'primary', node: 'pg1' });
    expect(read.extensions!.routing).not.toHaveProperty('pooledEndpoint');
  });
});
