import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { ApiKeyStore } from '../../src/db/index.js';
import { generateApiKey } from '../../src/graphql/auth/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { RateLimiter, type Buckets } from '../../src/graphql/limits/rate-limiter.js';
import { RedisBuckets } from '../../src/graphql/limits/redis-buckets.js';
import { connectShared } from '../support/cluster.js';
import { findRedisServer, REDIS_INSTALL, startRedis, type LocalRedis } from '../support/redis.js';

const binary = findRedisServer();
const skipped = binary ? '' : ` (skipped: redis-server is not installed; ${REDIS_INSTALL})`;
// Said in the output as well as in the skipped tests' names, which the default reporter does not list.
if (!binary) console.warn(`Redis tests skipped: redis-server is not installed; install it with: ${REDIS_INSTALL}`);

const QUERY = '{ categories(first: 1) { totalCount } }';

interface Answer {
  status: number;
  retryAfter: string | null;
  cost?: { requestedQueryCost: number; actualQueryCost: number; throttleStatus: { currentlyAvailable: number } };
  /** The refusal's extensions: RATE_LIMITED, the cost and what was available. */
  refusal?: { code: string; cost: number; available: number };
}

describe.skipIf(!binary)(`rate limits kept in Redis${skipped}`, () => {
  let redis: LocalRedis;
  let managers: ConnectionManager[] = [];
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    redis = await startRedis(binary!);
    for (let i = 0; i < 2; i++) {
      const manager = await connectShared();
      managers.push(manager);
      servers.push(
        await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1', redisUrl: redis.url, listenForRevocations: false }),
      );
    }
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const manager of managers) await manager.close();
    await redis?.stop();
    servers = [];
    managers = [];
  });

  async function keyWithRate(ratePerSecond: number): Promise<string> {
    const { id, key, secretHash } = generateApiKey();
    await new ApiKeyStore(managers[0]!.route('write')).insert({ id, name: 'redis', secretHash, scopes: ['catalog:read'], ratePerSecond });
    return key;
  }

  async function ask(server: RunningServer, key: string): Promise<Answer> {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await response.json()) as { extensions?: { cost?: Answer['cost'] }; errors?: { extensions: Answer['refusal'] }[] };
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      cost: body.extensions?.cost,
      refusal: body.errors?.[0]?.extensions,
    };
  }

  it('gives a caller one bucket across two instances: what one instance takes, the other no longer has', async () => {
    const key = await keyWithRate(1); // a bucket of 20 points, refilled at 1 per second
    const started = performance.now();
    const answers: Answer[] = [];
    for (let i = 0; i < 40 && answers.at(-1)?.status !== 429; i++) answers.push(await ask(servers[i % 2]!, key));
    const seconds = (performance.now() - started) / 1000;
    const accepted = answers.filter((answer) => answer.status === 200);
    const spent = accepted.reduce((sum, answer) => sum + answer.cost!.actualQueryCost, 0);
    // Both instances served, and together they let through one bucket's worth, not two.
    expect(new Set(answers.slice(0, 2).map((answer) => answer.status))).toEqual(new Set([200]));
    const refused = answers.at(-1)!;
    expect(refused).toMatchObject({ status: 429, retryAfter: expect.stringMatching(/^\d+$/), refusal: { code: 'RATE_LIMITED' } });
    expect(spent).toBeLessThanOrEqual(20 + Math.ceil(seconds));
    // Refused for what the other instance spent: what was left is what both together left.
    expect(refused.refusal!.available).toBeLessThan(refused.refusal!.cost);
    expect(refused.refusal!.available).toBeLessThanOrEqual(20 - spent + Math.ceil(seconds));
    // Each answer's bucket continues from the one before, whichever instance gave it.
    for (let i = 1; i < accepted.length; i++) {
      const before = accepted[i - 1]!.cost!.throttleStatus.currentlyAvailable;
      expect(accepted[i]!.cost!.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(before - accepted[i]!.cost!.actualQueryCost + 1);
    }
  });

  it("keeps the in-process bucket's rules: the requested cost is taken, the unused part refunded, a refusal takes nothing", async () => {
    // A slow rate with a long burst: 20 points that hardly refill while the test runs.
    const shared = new RedisBuckets(redis.url, { burstSeconds: 20_000, keyPrefix: 'rules:' });
    try {
      expect(await shared.ready()).toBe(true);
      const local = new RateLimiter(20_000);
      const rate = 0.001;
      const steps = async (buckets: Buckets) => [
        await buckets.take('caller', rate, 15),
        await buckets.take('caller', rate, 10),
        await buckets.refund('caller', rate, 3),
        await buckets.take('caller', rate, 8),
        await buckets.take('caller', rate, 1),
        await buckets.refund('caller', rate, 100),
        await buckets.take('other', rate, 20),
      ];
      const fromRedis = await steps(shared);
      expect(fromRedis).toEqual(await steps(local));
      expect(fromRedis.map((step) => ('ok' in step ? step.ok : step.currentlyAvailable))).toEqual([true, false, 8, true, false, 20, true]);
      expect(fromRedis[1]).toMatchObject({ retryAfterSeconds: 5000 });
    } finally {
      await shared.close();
    }
  });

  it('serves requests when Redis stops answering, each instance with buckets of its own', async () => {
    const key = await keyWithRate(100);
    await redis.stop();
    for (const server of servers) {
      const answer = await ask(server, key);
      expect(answer.status).toBe(200);
      expect(answer.cost!.throttleStatus.currentlyAvailable).toBeGreaterThan(0);
    }
  });
});
