import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken, parseLsn, reaches, type ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { SharedResponses, type SharedEntry } from '../../src/graphql/response-cache/index.js';
import { connectShared } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { findRedisServer, REDIS_INSTALL, startRedis, type LocalRedis } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/server.js';

const binary = findRedisServer();
const skipped = binary ? '' : ` (skipped: redis-server is not installed; ${REDIS_INSTALL})`;
if (!binary) console.warn(`Redis tests skipped: redis-server is not installed; install it with: ${REDIS_INSTALL}`);

/**
 * Two instances with their response caches on one Redis: what one filled, the other answers,
 * after checking it as one of its own; a committed change evicts it from both; Redis going
 * away costs hits, never answers.
 */
const PRODUCT = 'query SharedProduct($id: ID!) { product(id: $id) { id name price { amount } inventory { totalAvailable } } }';

interface Answer {
  status: number;
  ms: number;
  data?: any;
  errors?: unknown[];
  extensions: any;
  headers: Headers;
}

describe.skipIf(!binary)(`the response cache shared through Redis${skipped}`, () => {
  let redis: LocalRedis;
  let inspector: Redis;
  const managers: ConnectionManager[] = [];
  const servers: RunningServer[] = [];
  let helper: TestServer;
  let readerKey: string;
  let writerKey: string;

  beforeAll(async () => {
    redis = await startRedis(binary!);
    inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    inspector.on('error', () => {});
    for (let i = 0; i < 2; i++) {
      const manager = await connectShared();
      managers.push(manager);
      servers.push(
        await startGraphQLServer({
          cluster: manager,
          port: 0,
          host: '127.0.0.1',
          redisUrl: redis.url,
          responseCacheBytes: 8 * 1024 * 1024,
          listenForRevocations: false,
          admin: { port: 0, host: '127.0.0.1' },
        }),
      );
    }
    helper = await startTestServer(managers[0]!);
    readerKey = await helper.createKey(['catalog:read']);
    writerKey = await helper.createKey(['catalog:read', 'catalog:write']);
    for (const server of servers)
      await eventually(async () => expect(await metric(server, 'shopgraph_response_cache_invalidation{mode="wal"}')).toBe(1));
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await helper?.stop();
    for (const manager of managers) await manager.close();
    inspector?.disconnect();
    await redis?.stop();
  });

  const [a, b] = [() => servers[0]!, () => servers[1]!];

  async function post(
    server: RunningServer,
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${readerKey}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<Answer, 'status' | 'ms' | 'headers'>;
    return { status: response.status, ms: performance.now() - started, headers: response.headers, ...body };
  }

  async function metric(server: RunningServer, series: string): Promise<number | undefined> {
    const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  /** A new product, created through server A; returns its id and the write's consistency token. */
  async function newProduct(price: string): Promise<{ id: string; token: string }> {
    const created = await post(
      a(),
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }',
      {
        input: {
          sku: `SHARED-${randomUUID()}`,
          name: 'Shared cache test',
          price: { amount: price, currency: 'USD' },
          categoryId: gid('Category', 2),
        },
      },
      { authorization: `Bearer ${writerKey}` },
    );
    expect(created.errors).toBeUndefined();
    return { id: created.data.createProduct.product.id as string, token: created.headers.get('x-consistency-token')! };
  }

  async function setPrice(id: string, amount: string): Promise<string> {
    const updated = await post(
      a(),
      'mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { product { price { amount } } } }',
      { input: { id, price: { amount, currency: 'USD' } } },
      { authorization: `Bearer ${writerKey}` },
    );
    expect(updated.errors).toBeUndefined();
    return updated.headers.get('x-consistency-token')!;
  }

  /** Entries in Redis whose data mentions `text`. */
  async function sharedEntriesWith(text: string): Promise<string[]> {
    if (inspector.status === 'wait') await inspector.connect();
    const found: string[] = [];
    for (const key of await inspector.keys('shopgraph:cache:*')) {
      if (key.includes(':tag:')) continue;
      const data = await inspector.hget(key, 'data');
      if (data?.includes(text)) found.push(data);
    }
    return found;
  }

  /**
   * Reads `id` on server A until A answers from its cache with an entry that has the write
   * behind `token` (so every instance that heard the write can prove it fresh), and until
   * that entry is in Redis.
   */
  async function fillThroughA(id: string, token: string, headers: Record<string, string> = {}): Promise<Answer> {
    const written = decodeToken(token)!;
    const answer = await eventually(async () => {
      const read = await post(a(), PRODUCT, { id }, headers);
      expect(read.extensions.routing.role).toBe('cache');
      expect(reaches({ timeline: read.extensions.routing.timeline, lsn: parseLsn(read.extensions.routing.position) }, written)).toBe(true);
      return read;
    });
    await eventually(async () => expect(await sharedEntriesWith(id)).toHaveLength(1));
    return answer;
  }

  it('answers a read on one instance from the entry another instance filled, saying it is shared', async () => {
    const { id, token } = await newProduct('20.00');
    const filled = await fillThroughA(id, token);
    const answer = await post(b(), PRODUCT, { id });
    expect(answer.data).toEqual(filled.data);
    expect(answer.extensions.routing).toMatchObject({
      role: 'cache',
      shared: true,
      node: filled.extensions.routing.node,
      timeline: filled.extensions.routing.timeline,
      position: filled.extensions.routing.position,
    });
    expect(answer.headers.get('etag')).toBe(filled.headers.get('etag'));
    expect(filled.extensions.routing.shared).toBeUndefined();
    expect(await metric(b(), 'shopgraph_response_cache_shared_lookups_total{result="hit"}')).toBeGreaterThan(0);
  });

  it('answers from a shared entry on both lanes: the fast lane and the full path', async () => {
    // Any Accept header the fast lane does not know takes the full path (Apollo's negotiation).
    const fullPath = { accept: 'application/graphql-response+json;q=1, application/json;q=0.5' };
    // B's fast lane learns the query from a read the full path compiled (a product nobody read).
    await post(b(), PRODUCT, { id: gid('Product', 800_000_000 + Math.floor(Math.random() * 100_000_000)) });
    for (const headers of [{}, fullPath]) {
      const { id, token } = await newProduct('19.00');
      const filled = await fillThroughA(id, token);
      const fastBefore = (await metric(b(), 'shopgraph_graphql_fast_lane_total{result="answered"}')) ?? 0;
      const answer = await post(b(), PRODUCT, { id }, headers);
      expect(answer.data).toEqual(filled.data);
      expect(answer.extensions.routing).toMatchObject({ role: 'cache', shared: true });
      const fastAfter = (await metric(b(), 'shopgraph_graphql_fast_lane_total{result="answered"}')) ?? 0;
      expect(fastAfter - fastBefore).toBe(headers === fullPath ? 0 : 1);
    }
  });

  it('evicts the entry in Redis and on both instances when a write through the API changes the row it read', async () => {
    const { id, token } = await newProduct('21.00');
    await fillThroughA(id, token);
    expect((await post(b(), PRODUCT, { id })).extensions.routing).toMatchObject({ role: 'cache', shared: true });
    await setPrice(id, '22.00');
    // Well before the entry's age runs out (10 s): the change feeds evicted it.
    await eventually(async () => expect((await sharedEntriesWith(id)).filter((data) => data.includes('"21.00"'))).toEqual([]), {
      timeoutMs: 2000,
    });
    for (const server of [b(), a()])
      await eventually(async () => expect((await post(server, PRODUCT, { id })).data.product.price.amount).toBe('22.00'), {
        timeoutMs: 2000,
      });
    const evicted =
      (await metric(a(), 'shopgraph_response_cache_shared_evictions_total{cause="change"}'))! +
      (await metric(b(), 'shopgraph_response_cache_shared_evictions_total{cause="change"}'))!;
    expect(evicted).toBeGreaterThan(0);
  });

  it('does not answer a request whose consistency token is newer than the shared entry', async () => {
    const writer = { authorization: `Bearer ${writerKey}` };
    const { id, token } = await newProduct('23.00');
    await fillThroughA(id, token, writer);
    // A write elsewhere: the entry stays, and the token is past it.
    const other = await newProduct('1.00');
    const refusedBefore = (await metric(b(), 'shopgraph_response_cache_shared_lookups_total{result="refused"}')) ?? 0;
    const answer = await post(b(), PRODUCT, { id }, { ...writer, 'x-consistency-token': other.token });
    expect(answer.extensions.routing.role).not.toBe('cache');
    expect(answer.data.product.price.amount).toBe('23.00');
    expect(await metric(b(), 'shopgraph_response_cache_shared_lookups_total{result="refused"}')).toBeGreaterThan(refusedBefore);
  });

  it('keeps answering on both instances when Redis stops, without errors and without waiting for it', async () => {
    const { id, token } = await newProduct('24.00');
    await fillThroughA(id, token);
    await redis.stop();
    const fresh = await newProduct('25.00');
    for (const server of [a(), b()]) {
      for (const product of [id, fresh.id]) {
        for (let i = 0; i < 3; i++) {
          const answer = await post(server, PRODUCT, { id: product });
          expect(answer.status).toBe(200);
          expect(answer.errors).toBeUndefined();
          expect(answer.data.product.id).toBe(product);
          expect(answer.ms).toBeLessThan(1000);
        }
      }
      expect(await metric(server, 'shopgraph_response_cache_shared_up')).toBe(0);
    }
    // A kept its own entry: Redis was its second level only.
    expect((await post(a(), PRODUCT, { id })).extensions.routing.role).toBe('cache');
  });

  it('shares entries again once Redis is back', async () => {
    redis = await startRedis(binary!, redis.port);
    // Each instance finds Redis again at its next miss (a product nobody has read: a miss everywhere).
    await eventually(
      async () => {
        for (const server of servers) {
          await post(server, PRODUCT, { id: gid('Product', 900_000_000 + Math.floor(Math.random() * 100_000_000)) });
          expect(await metric(server, 'shopgraph_response_cache_shared_up')).toBe(1);
        }
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const { id, token } = await newProduct('26.00');
    await fillThroughA(id, token);
    expect((await post(b(), PRODUCT, { id })).extensions.routing).toMatchObject({ role: 'cache', shared: true });
  });
});

describe.skipIf(!binary)(`the shared level of the response cache, in Redis${skipped}`, () => {
  let redis: LocalRedis;
  let shared: SharedResponses;

  beforeAll(async () => {
    redis = await startRedis(binary!);
    shared = new SharedResponses(redis.url);
    expect(await shared.ready()).toBe(true);
  });

  afterAll(async () => {
    await shared?.close();
    await redis?.stop();
  });

  const at = (lsn: number, timeline = 1) => ({ timeline, lsn: BigInt(lsn) });
  const entry = (lsn: number, tags: string[], { timeline = 1, data = '{"product":null}', ttlMs = 10_000 } = {}): SharedEntry => ({
    data,
    etag: '"e"',
    node: 'pg2',
    position: at(lsn, timeline),
    filledAt: Date.now(),
    lagSeconds: 0,
    tags,
    expiresAt: Date.now() + ttlMs,
  });
  const use = () => 'use' as const;

  it('evicts for a commit the entries of its tags read short of it or on another timeline, and keeps those read at it or later', async () => {
    await shared.put('ns-evict', 'before', entry(100, ['Product:1']));
    await shared.put('ns-evict', 'at', entry(200, ['Product:1']));
    await shared.put('ns-evict', 'after', entry(300, ['Product:1']));
    await shared.put('ns-evict', 'newer-timeline', entry(50, ['Product:1'], { timeline: 2 }));
    await shared.put('ns-evict', 'other-row', entry(100, ['Product:2']));
    await shared.evict('ns-evict', { timeline: 1, commitLsn: 200n, tags: ['Product:1', 'Product:*'] });
    const left = [];
    for (const key of ['before', 'at', 'after', 'newer-timeline', 'other-row'])
      if (await shared.lookup('ns-evict', key, use)) left.push(key);
    // A commit's position is the end of its record: an entry read at it has the change.
    expect(left).toEqual(['at', 'after', 'other-row']);
  });

  it('keeps the entry read at the later position when two instances fill one key', async () => {
    await shared.put('ns-race', 'k', entry(300, ['Product:1']));
    await shared.put('ns-race', 'k', entry(200, ['Product:1']));
    expect((await shared.lookup('ns-race', 'k', use))?.position).toEqual(at(300));
    await shared.put('ns-race', 'k', entry(400, ['Product:1']));
    expect((await shared.lookup('ns-race', 'k', use))?.position).toEqual(at(400));
  });

  it('deletes an entry its reader finds stale, and leaves one its reader passes over', async () => {
    await shared.put('ns-judge', 'stale', entry(100, ['Product:1']));
    await shared.put('ns-judge', 'passed', entry(100, ['Product:1']));
    expect(await shared.lookup('ns-judge', 'stale', () => 'stale')).toBeUndefined();
    expect(await shared.lookup('ns-judge', 'passed', () => 'pass')).toBeUndefined();
    await eventually(async () => expect(await shared.lookup('ns-judge', 'stale', use)).toBeUndefined());
    expect(await shared.lookup('ns-judge', 'passed', use)).toBeDefined();
  });

  it('keeps each entry apart by namespace: another cluster or schema finds nothing', async () => {
    await shared.put('cluster-a', 'k', entry(100, ['Product:1']));
    expect(await shared.lookup('cluster-b', 'k', use)).toBeUndefined();
    expect(await shared.lookup('cluster-a', 'k', use)).toBeDefined();
  });

  it('expires an entry when its reader would, and does not share one over its size bound', async () => {
    await shared.put('ns-bounds', 'short', entry(100, ['Product:1'], { ttlMs: 100 }));
    await shared.put('ns-bounds', 'large', entry(100, ['Product:1'], { data: `{"text":"${'x'.repeat(300 * 1024)}"}` }));
    expect(await shared.lookup('ns-bounds', 'large', use)).toBeUndefined();
    expect(shared.counts.writes['too-large']).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await shared.lookup('ns-bounds', 'short', use)).toBeUndefined();
  });

  it('keeps a tag set near its live entries while fills keep it alive and its entries expire', async () => {
    const inspector = new Redis(redis.url);
    try {
      // One entry that outlives the test keeps the set alive: only the trimming can shrink it.
      await shared.put('ns-bound', 'long-lived', entry(100, ['Product:*']));
      for (let i = 0; i < 300; i++) {
        await shared.put('ns-bound', `k${i}`, entry(100, ['Product:*'], { ttlMs: 20 }));
        if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 30));
      }
      const [tagSet] = await inspector.keys('shopgraph:cache:*:tag:Product:*');
      // Some 50 entries may be alive at a time; without the trimming the set would hold 300.
      expect(await inspector.scard(tagSet!)).toBeLessThan(150);
    } finally {
      inspector.disconnect();
    }
  });
});
