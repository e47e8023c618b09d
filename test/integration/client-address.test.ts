import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { parseAddressRange } from '../../src/graphql/client-address.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { createLogger } from '../../src/log.js';
import { connectShared } from '../support/cluster.js';

/**
 * Behind a load balancer every request comes from the balancer's address. With the balancer
 * trusted (SHOPGRAPH_TRUSTED_PROXIES), each anonymous client is known by the address it
 * forwards, so shoppers get buckets of their own; a peer that is not trusted cannot pick one.
 */
let manager: ConnectionManager;
const servers: RunningServer[] = [];
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  manager = await connectShared();
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await manager?.close();
});

/** A server whose anonymous callers get a bucket of 20 points (1 per second), trusting these proxies. */
async function serverTrusting(...proxies: string[]): Promise<RunningServer> {
  const server = await startGraphQLServer({
    cluster: manager,
    port: 0,
    host: '127.0.0.1',
    auth: { anonymousScopes: ['catalog:read'], anonymousRatePerSecond: 1 },
    trustedProxies: proxies.map((proxy) => parseAddressRange(proxy)!),
    logger: createLogger({ to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  servers.push(server);
  return server;
}

/**
 * A request costing 12 of the 20 points, from the client `forwardedFor` names: the second in a
 * row finds 8 and needs 4 s of refill, far longer than a request takes here.
 */
const read = (server: RunningServer, forwardedFor: string) =>
  fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ query: '{ products(first: 10) { nodes { sku category { name } } } }' }),
  });

/** Reads until the bucket of `forwardedFor`'s client is empty; the last answer is a 429. */
async function exhaust(server: RunningServer, forwardedFor: string): Promise<Response> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const response = await read(server, forwardedFor);
    if (response.status === 429) return response;
    expect(response.status).toBe(200);
  }
  throw new Error('the bucket never ran out');
}

describe('behind a trusted proxy', () => {
  it('two anonymous clients with different X-Forwarded-For have separate buckets', async () => {
    const server = await serverTrusting('127.0.0.1');
    const refused = await exhaust(server, '203.0.113.1');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const other = await read(server, '203.0.113.2');
    expect(other.status).toBe(200);
  });

  it('logs the client the proxy names', async () => {
    const server = await serverTrusting('127.0.0.1');
    const response = await read(server, '198.51.100.4, 203.0.113.3');
    const line = lines.find((candidate) => candidate.requestId === response.headers.get('x-request-id'));
    expect(line).toMatchObject({ client: '203.0.113.3', caller: 'anonymous' });
  });
});

describe('a peer that is not a trusted proxy', () => {
  it('cannot choose a bucket with a forged X-Forwarded-For: the header is ignored', async () => {
    const server = await serverTrusting('10.0.0.1');
    await exhaust(server, '203.0.113.1');
    const forged = await read(server, '203.0.113.2');
    expect(forged.status).toBe(429);
    const line = lines.find((candidate) => candidate.requestId === forged.headers.get('x-request-id'));
    expect(line).toMatchObject({ client: '127.0.0.1' });
  });
});
