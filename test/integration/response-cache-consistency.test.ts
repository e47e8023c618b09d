import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken, formatLsn, parseLsn, reaches, type Position } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The consistency contract under load with the response cache on, across a failover: readers
 * ask for a few hot products anonymously (most answers come from the cache) while a writer
 * changes their prices, each to a higher amount than any before, and reads each write back
 * with its consistency token; some products are written only every few seconds, so their
 * entries outlive their age between writes and are revalidated from the WAL. Every token
 * read sees its write; no read shows a price older than the lag bound allows; an answer from
 * the cache at a position past a write's commit (a revalidated one's is the primary's)
 * shows that write; and none shows a price longer than EVICTION_BOUND_MS after the write
 * that replaced it was acknowledged (the change feed hears a commit within tens of ms; the
 * bound leaves room for this shared 2-core machine, and the bench measures the real times).
 */
const LAG_BOUND_SECONDS = 2;
/** Slack for the probes that measure lag (every 200 ms in tests) and the client's own clock. */
const PROBE_SLACK_MS = 1000;
/** What the test allows from an acknowledged commit to the eviction of what it touched (the issue asks p99 < 100 ms). */
const EVICTION_BOUND_MS = 1000;
const PRODUCTS = Array.from({ length: 12 }, (_, i) => gid('Product', i + 1));
/** Written every few seconds, longer than an entry's age: their entries are revalidated from the WAL between writes. */
const SELDOM_WRITTEN = PRODUCTS.slice(4, 8);
const READERS = 4;

let cluster: PrivateCluster;
let server: RunningServer;
let helper: TestServer;
let writerKey: string;

beforeAll(async () => {
  cluster = await startPrivateCluster({ manager: { maxReplicaLagSeconds: LAG_BOUND_SECONDS } });
  server = await startGraphQLServer({ cluster: cluster.manager, port: 0, host: '127.0.0.1', responseCacheBytes: 8 * 1024 * 1024 });
  helper = await startTestServer(cluster.manager);
  writerKey = await helper.createKey(['catalog:read', 'catalog:write']);
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await helper?.stop();
  await cluster?.stop();
});

interface Read {
  product: string;
  cents: number;
  role: string;
  /** Where the answer was read: the node's position then, for an answer from the cache. */
  position: Position | undefined;
  /** An answer from an entry the change feed revalidated (its position is the primary's, as the WAL vouched). */
  revalidated: boolean;
  sentAt: number;
}
interface Write {
  product: string;
  cents: number;
  acknowledgedAt: number;
  /**
   * The write's consistency token: the primary's position after it committed (none when the
   * primary went away before its position could be read, as a failover may do).
   */
  token: Position | undefined;
}

const READ = 'query HotProduct($id: ID!) { product(id: $id) { id price { amount } inventory { totalAvailable } } }';

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    headers: response.headers,
    ...((await response.json()) as { data?: any; errors?: { extensions: { code: string } }[]; extensions?: any }),
  };
}

const cents = (amount: string) => Math.round(Number(amount) * 100);

describe('the response cache under writes and a failover', () => {
  it('keeps every read within the contract', async () => {
    const reads: Read[] = [];
    const writes: Write[] = [];
    /** Products with a write whose outcome is unknown: their later reads cannot be judged. */
    const unknown = new Map<string, number>();
    const tokenReadsMissed: string[] = [];
    let running = true;
    let next = 100_000;

    const reader = async (pick: () => string) => {
      while (running) {
        const product = pick();
        const sentAt = Date.now();
        const answer = await post(READ, { id: product }).catch(() => undefined);
        if (!answer?.data?.product) continue;
        const { routing } = answer.extensions!;
        const position = routing.position === undefined ? undefined : { timeline: routing.timeline, lsn: parseLsn(routing.position) };
        reads.push({
          product,
          cents: cents(answer.data.product.price.amount),
          role: routing.role,
          position,
          revalidated: routing.revalidated === true,
          sentAt,
        });
      }
    };
    const writer = async () => {
      let index = 0;
      while (running) {
        index += 1;
        const product = index % 12 === 0 ? SELDOM_WRITTEN[(index / 12) % SELDOM_WRITTEN.length]! : PRODUCTS[index % 4]!;
        const amount = ((next += 1) / 100).toFixed(2);
        const answer = await post(
          'mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } } }',
          { input: { id: product, price: { amount, currency: 'USD' } } },
          { authorization: `Bearer ${writerKey}` },
        ).catch(() => undefined);
        const code = answer?.errors?.[0]?.extensions.code;
        if (!answer || code === 'WRITE_OUTCOME_UNKNOWN' || code === 'TIMEOUT') unknown.set(product, Date.now());
        if (!answer || answer.errors) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        const token = answer.headers.get('x-consistency-token');
        writes.push({ product, cents: cents(amount), acknowledgedAt: Date.now(), token: token === null ? undefined : decodeToken(token) });
        if (token === null) continue;
        const readBack = await post(READ, { id: product }, { 'x-consistency-token': token, authorization: `Bearer ${writerKey}` });
        if (readBack.data?.product && cents(readBack.data.product.price.amount) !== cents(amount))
          tokenReadsMissed.push(
            `${product}: wrote ${amount}, read ${readBack.data.product.price.amount} (${readBack.extensions?.routing?.role})`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    const skewed = (seed: number) => {
      let state = seed;
      return () => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        // Skewed: the first products are read far more often than the last.
        return PRODUCTS[Math.floor(PRODUCTS.length * (state / 2 ** 31) ** 3)]!;
      };
    };
    let turn = 0;
    const seldomWritten = () => SELDOM_WRITTEN[turn++ % SELDOM_WRITTEN.length]!;
    const load = [...Array.from({ length: READERS }, (_, i) => reader(skewed(i + 1))), reader(seldomWritten), writer()];
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await cluster.cluster.failover();
    await eventually(async () => expect(reads.some((read) => read.role === 'cache' && read.position?.timeline === 2)).toBe(true), {
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    running = false;
    await Promise.all(load);

    const stale: string[] = [];
    const shownAfterEviction: string[] = [];
    const positionsOverstated: string[] = [];
    for (const read of reads) {
      const unknownSince = unknown.get(read.product);
      if (unknownSince !== undefined && read.sentAt >= unknownSince) continue;
      for (const write of writes) {
        if (write.product !== read.product || read.cents >= write.cents) continue;
        const age = read.sentAt - write.acknowledgedAt;
        if (age > LAG_BOUND_SECONDS * 1000 + PROBE_SLACK_MS)
          stale.push(`${read.product} ${read.role}: ${read.cents} ${age} ms after ${write.cents}`);
        if (read.role === 'cache' && age > EVICTION_BOUND_MS)
          shownAfterEviction.push(`${read.product}: ${read.cents} ${age} ms after ${write.cents}`);
        if (read.position && write.token && reaches(read.position, write.token))
          positionsOverstated.push(`${read.product}: ${read.cents} at ${formatLsn(read.position.lsn)}, after ${write.cents}`);
      }
    }
    expect(writes.length).toBeGreaterThan(20);
    // The hottest products change several times a second, so many reads miss; enough must hit to test anything.
    expect(reads.filter((read) => read.role === 'cache').length).toBeGreaterThan(reads.length / 5);
    // Entries of the seldom written products outlive their age between writes: the change feed revalidates them.
    expect(reads.some((read) => read.revalidated && SELDOM_WRITTEN.includes(read.product))).toBe(true);
    expect(tokenReadsMissed).toEqual([]);
    expect(stale).toEqual([]);
    expect(shownAfterEviction).toEqual([]);
    expect(positionsOverstated).toEqual([]);
  }, 120_000);
});
