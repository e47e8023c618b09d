import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn, type ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { connectShared } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The server's response cache keeps the routing contract: an answer from it is a read from a
 * replica frozen at the position it came from, evicted by the primary's committed changes
 * (heard through logical decoding), bypassed by a consistency token it has not reached and by
 * `x-read-from: primary`, and never holds what only some callers may see.
 */
let manager: ConnectionManager;
let server: RunningServer;
let helper: TestServer;
let writerKey: string;
let adminKey: string;

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1', responseCacheBytes: 8 * 1024 * 1024 });
  helper = await startTestServer(manager);
  writerKey = await helper.createKey(['catalog:read', 'catalog:write']);
  // Keys are looked up on the replicas: this one is used once they have it.
  adminKey = await helper.createKey(['admin']);
  await eventually(async () => expect(await metric('shopgraph_response_cache_invalidation{mode="wal"}')).toBe(1));
});
afterAll(async () => {
  await server?.stop();
  await helper?.stop();
  await manager?.close();
});

const PRODUCT = 'query CachedProduct($id: ID!) { product(id: $id) { id name price { amount } inventory { totalAvailable } } }';

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}, url = server.url) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { headers: response.headers, ...((await response.json()) as { data?: any; errors?: unknown[]; extensions: any }) };
}

async function metric(series: string, url = server.url): Promise<number | undefined> {
  const text = await (await fetch(url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${adminKey}` } })).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function newProduct(price: string): Promise<string> {
  const created = await post(
    'mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }',
    {
      input: {
        sku: `CACHE-${randomUUID()}`,
        name: 'Cache test',
        price: { amount: price, currency: 'USD' },
        categoryId: gid('Category', 2),
      },
    },
    { authorization: `Bearer ${writerKey}` },
  );
  expect(created.errors).toBeUndefined();
  return created.data.createProduct.product.id as string;
}

async function setPrice(id: string, amount: string): Promise<string> {
  const updated = await post(
    'mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { product { price { amount } } } }',
    { input: { id, price: { amount, currency: 'USD' } } },
    { authorization: `Bearer ${writerKey}` },
  );
  expect(updated.errors).toBeUndefined();
  return updated.headers.get('x-consistency-token')!;
}

/** Reads until an answer comes from the cache (a fill waits for the probes to see its replica past the last change). */
async function cachedRead(id: string, headers: Record<string, string> = {}, url = server.url) {
  return eventually(async () => {
    const answer = await post(PRODUCT, { id }, headers, url);
    expect(answer.extensions.routing.role).toBe('cache');
    return answer;
  });
}

describe('the response cache', () => {
  it('answers a repeated public read from the cache, saying which node and position it came from and its age', async () => {
    const id = await newProduct('10.00');
    const answer = await cachedRead(id);
    expect(answer.data.product).toMatchObject({ id, price: { amount: '10.00' } });
    expect(answer.extensions.routing).toMatchObject({
      role: 'cache',
      timeline: expect.any(Number),
      position: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
    });
    expect(manager.nodes.map((node) => node.name)).toContain(answer.extensions.routing.node);
    expect(answer.extensions.routing.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(answer.extensions.routing.ageSeconds).toBeLessThanOrEqual(10);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=10');
  });

  it('charges an answer from the cache what the read it stands for costs', async () => {
    const id = await newProduct('10.50');
    const read = await post(PRODUCT, { id }, { 'x-read-from': 'primary', authorization: `Bearer ${writerKey}` });
    expect(read.extensions.routing.role).toBe('primary');
    const cached = await cachedRead(id);
    const again = await post(PRODUCT, { id });
    for (const answer of [cached, again]) {
      expect(answer.extensions.routing.role).toBe('cache');
      expect(answer.extensions.cost).toMatchObject({
        requestedQueryCost: read.extensions.cost.requestedQueryCost,
        actualQueryCost: read.extensions.cost.actualQueryCost,
      });
    }
  });

  it('evicts an entry when the primary commits a change to a row it read', async () => {
    const id = await newProduct('11.00');
    await cachedRead(id);
    const evictedBefore = (await metric('shopgraph_response_cache_evictions_total{cause="change"}')) ?? 0;
    await setPrice(id, '12.00');
    await eventually(async () => expect((await post(PRODUCT, { id })).data.product.price.amount).toBe('12.00'), { timeoutMs: 2000 });
    expect(await metric('shopgraph_response_cache_evictions_total{cause="change"}')).toBeGreaterThan(evictedBefore);
  });

  it('never answers a read with a consistency token from an entry older than the token', async () => {
    const id = await newProduct('13.00');
    await cachedRead(id);
    const token = await setPrice(id, '14.00');
    const read = await post(PRODUCT, { id }, { 'x-consistency-token': token, authorization: `Bearer ${writerKey}` });
    expect(read.data.product.price.amount).toBe('14.00');
  });

  it('answers requests for one key that arrive together with one read: the others join it, or hit what it filled', async () => {
    const id = await newProduct('16.00');
    const token = await setPrice(id, '16.50');
    // A query text asked for the first time: every request misses, on the full path.
    const query = PRODUCT.replace('CachedProduct', 'CachedProductAtOnce');
    const headers = { 'x-consistency-token': token, authorization: `Bearer ${writerKey}` };
    const joinedBefore = (await metric('shopgraph_response_cache_joined_total')) ?? 0;

    const answers = await Promise.all(Array.from({ length: 8 }, () => post(query, { id }, headers)));

    expect(answers.map((answer) => answer.data.product.price.amount)).toEqual(Array(8).fill('16.50'));
    const reads = answers.filter((answer) => answer.extensions.routing.role !== 'cache');
    expect(reads).toHaveLength(1);
    const replicas = manager.nodes.filter((node) => node.role === 'replica').map((node) => node.name);
    expect(replicas).toContain(reads[0]!.extensions.routing.node);
    for (const answer of answers.filter((answer) => answer !== reads[0]))
      expect(answer.extensions.routing).toMatchObject({ role: 'cache', node: reads[0]!.extensions.routing.node });
    const joined = answers.filter((answer) => answer.extensions.routing.joined === true);
    expect(await metric('shopgraph_response_cache_joined_total')).toBe(joinedBefore + joined.length);
  });

  it('is bypassed by x-read-from: primary', async () => {
    const id = await newProduct('15.00');
    await cachedRead(id, { authorization: `Bearer ${writerKey}` });
    const read = await post(PRODUCT, { id }, { 'x-read-from': 'primary', authorization: `Bearer ${writerKey}` });
    expect(read.extensions.routing.role).toBe('primary');
  });

  it('keeps entries per scope set, and never keeps what only credentials may read', async () => {
    const id = await newProduct('16.00');
    await cachedRead(id);
    const adminKey = await helper.createKey(['admin']);
    const admin = await post(PRODUCT, { id }, { authorization: `Bearer ${adminKey}` });
    expect(admin.extensions.routing.role).not.toBe('cache');
    const personal = '{ customers(first: 1) { nodes { email } } }';
    for (let i = 0; i < 3; i += 1) {
      const answer = await post(personal, {}, { authorization: `Bearer ${adminKey}` });
      expect(answer.extensions.routing.role).not.toBe('cache');
    }
  });

  it('answers callers with different scopes who send the same body in turn each from their own entry', async () => {
    const id = await newProduct('17.00');
    // Anonymous callers read the catalogue (catalog:read); this key can read orders too.
    const readerKey = await helper.createKey(['catalog:read', 'orders:read']);
    const anonymous = {};
    const reader = { authorization: `Bearer ${readerKey}` };
    await cachedRead(id, anonymous);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cachedRead(id, reader);
    // Each entry answers with its own age: the reader's, read 200 ms later, is the younger.
    for (let i = 0; i < 3; i += 1) {
      const [first, second] = [await post(PRODUCT, { id }, anonymous), await post(PRODUCT, { id }, reader)];
      expect([first.extensions.routing.role, second.extensions.routing.role]).toEqual(['cache', 'cache']);
      expect(second.extensions.routing.ageSeconds).toBeLessThan(first.extensions.routing.ageSeconds);
    }
  });

  it('reports hits, misses, bytes, the feed and commit-to-eviction times in /metrics', async () => {
    expect(await metric('shopgraph_response_cache_lookups_total{result="hit"}')).toBeGreaterThan(0);
    expect(await metric('shopgraph_response_cache_lookups_total{result="miss"}')).toBeGreaterThan(0);
    expect(await metric('shopgraph_response_cache_bytes{bound="used"}')).toBeGreaterThan(0);
    expect(await metric('shopgraph_response_cache_feed_lag_seconds')).toBeLessThan(5);
    // Measured from the commit time the WAL gives to the eviction (the bench reports the figures).
    expect(await metric('shopgraph_response_cache_invalidation_ms{quantile="0.99"}')).toBeGreaterThanOrEqual(0);
  });
});

describe('the response cache past an entry’s age', () => {
  // A lag bound of 1 s: entries expire after a second, unless the WAL revalidates them.
  let shortManager: ConnectionManager;
  let short: RunningServer;
  beforeAll(async () => {
    shortManager = await connectShared({ maxReplicaLagSeconds: 1 });
    short = await startGraphQLServer({ cluster: shortManager, port: 0, host: '127.0.0.1', responseCacheBytes: 8 * 1024 * 1024 });
    await eventually(async () => expect(await metric('shopgraph_response_cache_invalidation{mode="wal"}', short.url)).toBe(1));
  });
  afterAll(async () => {
    await short?.stop();
    await shortManager?.close();
  });
  const pastTheLagBound = () => new Promise((resolve) => setTimeout(resolve, 1200));

  it('answers from the entry when the WAL shows no change to its rows since, as of a newer position and with its age restarted', async () => {
    const id = await newProduct('21.00');
    const first = await cachedRead(id, {}, short.url);
    // Another product changes: the primary's WAL moves on, and nothing the entry read.
    await setPrice(await newProduct('1.00'), '2.00');
    await pastTheLagBound();

    const later = await post(PRODUCT, { id }, {}, short.url);
    expect(later.data).toEqual(first.data);
    expect(later.extensions.routing).toMatchObject({ role: 'cache', node: first.extensions.routing.node, revalidated: true });
    expect(later.extensions.routing.lagSeconds).toBeLessThan(1);
    expect(parseLsn(later.extensions.routing.position)).toBeGreaterThan(parseLsn(first.extensions.routing.position));
    expect(await metric('shopgraph_response_cache_revalidations_total', short.url)).toBeGreaterThan(0);
  });

  it('lets a change after the revalidation evict the entry: a read with the writer’s token shows the change', async () => {
    const id = await newProduct('22.00');
    await cachedRead(id, {}, short.url);
    await pastTheLagBound();
    expect((await post(PRODUCT, { id }, {}, short.url)).extensions.routing.revalidated).toBe(true);

    const token = await setPrice(id, '23.00');
    const read = await post(PRODUCT, { id }, { 'x-consistency-token': token, authorization: `Bearer ${writerKey}` }, short.url);
    expect(read.data.product.price.amount).toBe('23.00');
    await eventually(async () => expect((await post(PRODUCT, { id }, {}, short.url)).data.product.price.amount).toBe('23.00'), {
      timeoutMs: 2000,
    });
  });
});
