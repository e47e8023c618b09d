import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * What clients send must not grow the server's memory past its bounds: query texts have a
 * size limit, and every cache of documents, statements, cost plans and persisted queries is
 * bounded in bytes (shopgraph_cache_bytes in /metrics).
 */
let manager: ConnectionManager;
let server: TestServer;
let authorization: string;
const CACHE_BYTES = 8 * 1024 * 1024;

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager, { queryCacheBytes: CACHE_BYTES, maxQueryBytes: 64 * 1024 });
  authorization = `Bearer ${await server.createKey(['catalog:read'])}`;
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

async function post(body: Record<string, unknown>) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] },
  };
}

let adminKey: string | undefined;

/** Each cache's bytes, bound and entries, from /metrics (for operators: with an admin key). */
async function caches(): Promise<Map<string, { bytes: number; max: number; entries: number }>> {
  adminKey ??= await server.createKey(['admin']);
  const metrics = await fetch(server.url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${adminKey}` } });
  const text = await metrics.text();
  const read = (family: string) =>
    new Map([...text.matchAll(new RegExp(`^${family}\\{cache="([^"]+)"\\} (\\d+)$`, 'gm'))].map((match) => [match[1]!, Number(match[2])]));
  const bytes = read('shopgraph_cache_bytes');
  const max = read('shopgraph_cache_max_bytes');
  const entries = read('shopgraph_cache_entries');
  return new Map([...bytes].map(([name, used]) => [name, { bytes: used, max: max.get(name)!, entries: entries.get(name)! }]));
}

const pad = (i: number, length: number) => `# ${i} ${'x'.repeat(length)}`;

describe('query memory', () => {
  it('refuses a query text over its size limit before parsing it, naming the limit', async () => {
    const response = await post({ query: `{ __typename } ${pad(0, 70_000)}` });
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'queryBytes', maximum: 65536 });
  });

  it('forgets the bodies it knew of an operation the fast lane forgets, so they cannot keep its document alive', async () => {
    // Short texts of many tokens: their documents fill the fast lane's share long before their bodies fill the bodies' share.
    for (let i = 0; i < 40; i += 1) {
      const query = `query Wide${i} { products(first: 2) { nodes { ${'sku name '.repeat(150)} } } }`;
      for (let sent = 0; sent < 2; sent += 1) expect((await post({ query })).status).toBe(200);
    }
    const sizes = await caches();
    expect(sizes.get('fast-lane')!.entries).toBeLessThan(40);
    expect(sizes.get('fast-lane-requests')!.entries).toBeLessThanOrEqual(sizes.get('fast-lane')!.entries);
  });

  it('keeps every cache within its byte bound under 1,000 requests with distinct large texts', { timeout: 120_000 }, async () => {
    const requests: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 400; i += 1) requests.push(() => post({ query: `{ __typename }\n${pad(i, 60_000)}` }));
    for (let i = 0; i < 300; i += 1) {
      // Twice: the full path compiles it, then the fast lane learns and answers it.
      const query = `query Page { products(first: 2) { nodes { sku } } }\n${pad(i, 12_000)}`;
      requests.push(async () => {
        await post({ query });
        await post({ query });
      });
    }
    for (let i = 0; i < 200; i += 1) {
      const query = `{ warehouses { code } }\n${pad(i, 30_000)}`;
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      requests.push(() => post({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }));
    }
    for (let i = 0; i < 100; i += 1) {
      const query = `query Search($f: ProductFilter) { products(first: 2, filter: $f) { totalCount } } ${pad(i, 10)}`;
      requests.push(async () => {
        const response = await post({ query, variables: { f: { search: 'x'.repeat(900_000) } } });
        expect(response.body.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
      });
    }
    for (let start = 0; start < requests.length; start += 8)
      await Promise.all(requests.slice(start, start + 8).map((request) => request()));
    const sizes = await caches();
    expect([...sizes.keys()].sort()).toEqual([
      'cost',
      'documents',
      'fast-lane',
      'fast-lane-requests',
      'persisted-queries',
      'prepared-statements',
      'templates',
    ]);
    for (const [name, { bytes, max }] of sizes) expect({ name, within: bytes <= max }).toEqual({ name, within: true });
    expect(sizes.get('documents')!.bytes).toBeGreaterThan(sizes.get('documents')!.max / 2);
    expect(sizes.get('persisted-queries')!.bytes).toBeGreaterThan(0);
    expect(sizes.get('fast-lane')!.bytes).toBeGreaterThan(0);
    expect(sizes.get('fast-lane-requests')!.bytes).toBeGreaterThan(0);
  });
});
