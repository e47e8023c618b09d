import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A compiled read that the full path (Apollo Server) has answered once is answered by the
 * fast lane when it comes again. Clients must not be able to tell the two apart: same status,
 * media type, data, cost and routing; every refusal and failure still comes from the full path.
 */
let manager: ConnectionManager;
let server: RunningServer;
let helper: TestServer;
let adminKey: string;

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1', requestTimeoutMs: 600 });
  helper = await startTestServer(manager);
  adminKey = await helper.createKey(['admin']);
  // The tests say which node served: wait out probes that timed out while the run's files started.
  await eventually(() => Promise.resolve(expect(manager.status().mode).toBe('normal')));
});
afterAll(async () => {
  await server?.stop();
  await helper?.stop();
  await manager?.close();
});

const PRODUCT_PAGE =
  'query ProductPage($id: ID!) { product(id: $id) { sku name price { amount currency } reviews(first: 3) { nodes { rating } } } }';

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const perRequest = new Set(['date', 'x-request-id', 'content-length']);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: [...response.headers].filter(([name]) => !perRequest.has(name)),
    body: (await response.json()) as Record<string, any>,
  };
}

/** How many requests the fast lane has answered and handed over so far, from /metrics. */
async function laneCounts(): Promise<{ answered: number; handedOver: number }> {
  const text = await (await fetch(server.url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${adminKey}` } })).text();
  const count = (result: string) =>
    Number(new RegExp(`shopgraph_graphql_fast_lane_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { answered: count('answered'), handedOver: count('handed-over') };
}

describe('the fast lane', () => {
  it('answers a repeated compiled read with the same status, headers, data, cost and routing as the full path', async () => {
    const variables = { id: gid('Product', 21) };
    const before = await laneCounts();
    const full = await post(PRODUCT_PAGE, variables);
    const fast = await post(PRODUCT_PAGE, variables);
    expect(await laneCounts()).toEqual({ answered: before.answered + 1, handedOver: before.handedOver });
    expect(fast.status).toBe(full.status);
    expect(fast.headers).toEqual(full.headers);
    expect(fast.body.data).toEqual(full.body.data);
    expect(Object.keys(fast.body)).toEqual(Object.keys(full.body));
    const { throttleStatus: _fullBucket, ...fullCost } = full.body.extensions.cost;
    const { throttleStatus: _fastBucket, ...fastCost } = fast.body.extensions.cost;
    expect(fastCost).toEqual(fullCost);
    expect(fast.body.extensions.routing).toMatchObject({ role: 'replica', node: expect.stringMatching(/^pg[23]$/) });
  });

  it('answers other variables of a query it knows, each as the full path would', async () => {
    await post(PRODUCT_PAGE, { id: gid('Product', 22) });
    for (const id of [23, 24, 999_999]) {
      const before = await laneCounts();
      const fast = await post(PRODUCT_PAGE, { id: gid('Product', id) });
      expect((await laneCounts()).answered).toBe(before.answered + 1);
      const full = await helper.request(PRODUCT_PAGE, { id: gid('Product', id) });
      expect(fast.body.data).toEqual(full.data);
    }
  });

  it.each([
    ['no Accept header', undefined],
    ['*/*', '*/*'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['both, as graphql-http clients send it', 'application/graphql-response+json, application/json'],
  ])('answers with the media type the full path negotiates for %s', async (_, accept) => {
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    // A query text of its own: its first request is the full path's.
    const query = `${PRODUCT_PAGE} # ${accept ?? 'none'}`;
    const full = await post(query, { id: gid('Product', 25) }, headers);
    const before = await laneCounts();
    const fast = await post(query, { id: gid('Product', 25) }, headers);
    expect((await laneCounts()).answered).toBe(before.answered + 1);
    expect(fast.contentType).toBe(full.contentType);
  });

  it('charges every request of a body it has answered before, and leaves it to the full path once the bucket is spent', async () => {
    // A bucket of 20 points (1 a second for 20 s): the product page costs a few, so a handful empty it.
    const key = await helper.createKey(['catalog:read'], 1);
    const asCaller = { authorization: `Bearer ${key}` };
    const variables = { id: gid('Product', 28) };
    await post(PRODUCT_PAGE, variables);
    const available: number[] = [];
    const before = await laneCounts();
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 20 && !refused; i += 1) {
      const response = await post(PRODUCT_PAGE, variables, asCaller);
      if (response.status === 200) available.push(response.body.extensions.cost.throttleStatus.currentlyAvailable);
      else refused = response;
    }
    expect(available.length).toBeGreaterThan(2);
    for (let i = 1; i < available.length; i += 1) expect(available[i]).toBeLessThan(available[i - 1]!);
    expect((await laneCounts()).answered).toBe(before.answered + available.length);
    expect(refused?.status).toBe(429);
    expect(refused?.body.errors[0].extensions.code).toBe('RATE_LIMITED');
  });

  it('tells apart bodies of the same length that begin and end alike, answering each with its own fields', async () => {
    // A long first line, so that the bodies differ in their middle only.
    const skuFirst = `# ${'x'.repeat(120)}\n${PRODUCT_PAGE}`;
    const nameFirst = skuFirst.replace('sku name', 'name sku');
    expect(nameFirst.length).toBe(skuFirst.length);
    const variables = { id: gid('Product', 29) };
    for (let i = 0; i < 3; i += 1) {
      for (const [query, fields] of [
        [skuFirst, ['sku', 'name']],
        [nameFirst, ['name', 'sku']],
      ] as const) {
        const response = await post(query, variables);
        expect(Object.keys(response.body.data.product).slice(0, 2)).toEqual(fields);
      }
    }
  });

  it('leaves a variable that does not coerce to the full path, which names it', async () => {
    await post(PRODUCT_PAGE, { id: gid('Product', 26) });
    const response = await post(PRODUCT_PAGE, { id: { not: 'an id' } });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('leaves a bad routing header to the full path, which refuses it', async () => {
    await post(PRODUCT_PAGE, { id: gid('Product', 27) });
    const response = await post(PRODUCT_PAGE, { id: gid('Product', 27) }, { 'x-read-from': 'somewhere' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('hands a read whose statement fails to the full path, which reports it as before', async () => {
    const query = 'query Stock { warehouses { code } }';
    await post(query, {}, { 'x-read-from': 'primary' });
    const primary = postgres(sharedNodes()[0]!.url, { max: 1, onnotice: () => {} });
    const blocker = await primary.reserve();
    try {
      await blocker`begin`;
      await blocker`lock table warehouses in access exclusive mode`;
      const before = await laneCounts();
      const response = await post(query, {}, { 'x-read-from': 'primary' });
      expect(response.body.errors[0].extensions.code).toBe('TIMEOUT');
      expect((await laneCounts()).handedOver).toBe(before.handedOver + 1);
    } finally {
      await blocker`rollback`;
      blocker.release();
      await primary.end();
    }
    await eventually(async () =>
      expect((await post(query, {}, { 'x-read-from': 'primary' })).body.data.warehouses.length).toBeGreaterThan(0),
    );
  });
});
