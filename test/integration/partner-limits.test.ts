import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQL();
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

function startGraphQL() {
  return startTestServer(manager);
}

const statementsSent = () => manager.nodes.reduce((sum, node) => sum + node.statements, 0);

describe('static limits', () => {
  const nested = (depth: number) => `{ categories(first: 1) { nodes { ${'parent { '.repeat(depth)}id${' }'.repeat(depth)} } } }`;

  it.each([
    ['depth', nested(14), { limit: 'depth', actual: 17, maximum: 12 }],
    [
      'aliases',
      `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: warehouses { code }`).join(' ')} }`,
      { limit: 'aliases', actual: 31, maximum: 30 },
    ],
    ['directives', `{ warehouses { ${'code @include(if: true) '.repeat(51)} } }`, { limit: 'directives', actual: 51, maximum: 50 }],
    [
      'cost',
      '{ products(first: 100) { nodes { reviews(first: 100) { nodes { customer { id } } } } } }',
      { limit: 'cost', actual: 2 + 100 * (2 + 100), maximum: 5000 },
    ],
    [
      'cost, with the pages inside fragments',
      `{ products(first: 100) { ... on ProductConnection { nodes { reviews(first: 100) { ...R } } } } }
       fragment R on ReviewConnection { nodes { customer { id } } }`,
      { limit: 'cost', actual: 2 + 100 * (2 + 100), maximum: 5000 },
    ],
    ['page size', '{ customers(last: 101) { totalCount } }', { limit: 'pageSize', actual: 101, maximum: 100 }],
  ])('refuse a request over the %s limit before any SQL runs, naming the limit and the figure', async (_, query, details) => {
    await server.request('{ warehouses { code } }');
    const before = statementsSent();
    const response = await server.request(query);
    expect(response.status).toBe(400);
    expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TOO_COMPLEX', ...details } })]);
    expect(statementsSent()).toBe(before);
  });

  it('answer sixteen fragments that each spread the next twice without unrolling them, and keep /healthz answering', async () => {
    const fragments = Array.from({ length: 15 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    const query = `{ ...F0 }\n${fragments.join('\n')}\nfragment F15 on Query { __typename }`;
    const health = fetch(server.url.replace('/graphql', '/healthz')).then((response) => response.status);
    const started = Date.now();
    const response = await server.request(query);
    // A guard against unrolling 32,768 selections (seconds), not a speed figure: see npm run bench.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(response.data).toEqual({ __typename: 'Query' });
    expect(response.extensions!.cost).toMatchObject({ requestedQueryCost: 0 });
    expect(await health).toBe(200);
  });

  it('refuse a document with too many tokens while parsing', async () => {
    const response = await server.request(`{ warehouses { ${'code '.repeat(5000)} } }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens', maximum: 5000 });
  });
});

describe('the rate limit', () => {
  it('reports the cost and the bucket on every response', async () => {
    const key = await server.createKey(['catalog:read'], 10);
    const response = await server.request('{ products(first: 5) { nodes { category { name } } } }', {}, { authorization: `Bearer ${key}` });
    expect(response.extensions!.cost).toEqual({
      requestedQueryCost: 7,
      actualQueryCost: 7,
      throttleStatus: { maximumAvailable: 200, currentlyAvailable: 193, restoreRate: 10 },
    });
  });

  it('refunds what a request asked for but did not get', async () => {
    const key = await server.createKey(['catalog:read'], 10);
    const response = await server.request(
      '{ products(first: 50, filter: { search: "no product is called this" }) { nodes { category { name } } } }',
      {},
      { authorization: `Bearer ${key}` },
    );
    expect(response.extensions!.cost).toEqual({
      requestedQueryCost: 52,
      actualQueryCost: 2,
      throttleStatus: { maximumAvailable: 200, currentlyAvailable: 198, restoreRate: 10 },
    });
  });

  it('refuses with 429 and Retry-After once the bucket is empty, and serves again after it refills', async () => {
    const key = await server.createKey(['catalog:read'], 2);
    const query = '{ products(first: 30) { nodes { category { name } } } }';
    const headers = { authorization: `Bearer ${key}` };
    expect((await server.request(query, {}, headers)).errors).toBeUndefined();
    const refused = await server.request(query, {}, headers);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 32 });
    await eventually(async () => expect((await server.request('{ warehouses { code } }', {}, headers)).errors).toBeUndefined(), {
      timeoutMs: 5000,
      intervalMs: 500,
    });
  });

  it('refuses at once a request that costs more than the bucket ever holds', async () => {
    const key = await server.createKey(['catalog:read'], 1);
    const response = await server.request(
      '{ products(first: 30) { nodes { category { name } } } }',
      {},
      { authorization: `Bearer ${key}` },
    );
    expect(response.errors![0]!.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', actual: 32, maximum: 20 });
  });
});

describe('the request deadline', () => {
  let primary: postgres.Sql;
  let slow: TestServer;
  beforeAll(async () => {
    primary = postgres(sharedNodes()[0]!.url, { max: 2, onnotice: () => {} });
    slow = await startTestServerWithTimeout(400);
  });
  afterAll(async () => {
    await slow?.stop();
    await primary?.end();
  });

  async function startTestServerWithTimeout(requestTimeoutMs: number): Promise<TestServer> {
    const { startGraphQLServer } = await import('../../src/graphql/index.js');
    const running = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1', requestTimeoutMs });
    const admin = await server.createKey(['admin']);
    return {
      ...server,
      url: running.url,
      stop: running.stop,
      request: (query, variables = {}, headers = {}) => requestAt(running.url, admin, query, variables, headers),
    };
  }

  const waitingStatements = async () =>
    (await primary`select count(*)::int as n from pg_stat_activity where application_name = 'shopgraph' and wait_event_type = 'Lock'`)[0]!
      .n as number;

  it('stops a write stuck on a lock, cancels its SQL, and saves nothing', async () => {
    const blocker = await primary.reserve();
    try {
      await blocker`begin`;
      await blocker`select * from inventory_levels where product_id = 4 for update`;
      const before = (
        await blocker`select on_hand from inventory_levels where product_id = 4 and warehouse_id = (select min(warehouse_id) from inventory_levels where product_id = 4)`
      )[0]!;
      const warehouse = (await blocker`select min(warehouse_id)::int as id from inventory_levels where product_id = 4`)[0]!.id as number;
      const response = await slow.request(
        `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { inventoryLevel { onHand } } }`,
        {
          input: { productId: gid('Product', 4), warehouseId: gid('Warehouse', warehouse), delta: 5 },
        },
      );
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'TIMEOUT' } });
      expect(await waitingStatements()).toBe(0);
      await blocker`rollback`;
      const [after] = await primary`select on_hand from inventory_levels where product_id = 4 and warehouse_id = ${warehouse}`;
      expect(after!.on_hand).toBe(before.on_hand);
    } finally {
      blocker.release();
    }
  });

  it('stops a read stuck behind a table lock and cancels it on the server', async () => {
    const blocker = await primary.reserve();
    try {
      await blocker`begin`;
      await blocker`lock table warehouses in access exclusive mode`;
      const started = Date.now();
      const response = await slow.request('{ warehouses { code } }', {}, { 'x-read-from': 'primary' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'TIMEOUT' } });
      await eventually(async () => expect(await waitingStatements()).toBe(0), { timeoutMs: 2000 });
      // It held the node until its deadline: charged what it asked for, not refunded.
      const { requestedQueryCost, actualQueryCost } = response.extensions!.cost as Record<string, number>;
      expect(actualQueryCost).toBe(requestedQueryCost);
      expect(requestedQueryCost).toBeGreaterThan(0);
    } finally {
      await blocker`rollback`;
      blocker.release();
    }
  });
});

async function requestAt(url: string, key: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) } as never;
}
