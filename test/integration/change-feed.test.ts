import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeFeed,
  ConnectionManager,
  parseLsn,
  type ChangeFeedState,
  type ClusterNode,
  type CommittedTransaction,
  type Position,
} from '../../src/cluster/index.js';
import type { Logger } from '../../src/log.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

/**
 * The response cache's change feed on a real cluster: a logical replication stream from a
 * temporary slot on the primary, pushed as transactions commit. A private cluster, since the
 * last test fails it over and another one changes the walsenders' timeout.
 */
let cluster: PrivateCluster;
const running = new Set<ChangeFeed>();

beforeAll(async () => {
  cluster = await startPrivateCluster();
}, 180_000);
afterEach(async () => {
  await Promise.all([...running].map((feed) => feed.stop()));
  running.clear();
});
afterAll(() => cluster?.stop());

interface Heard {
  feed: ChangeFeed;
  commits: CommittedTransaction[];
  resyncs: { state: ChangeFeedState; position: Position | undefined }[];
  lines: string[];
}

function startFeed(manager: ConnectionManager = cluster.manager): Heard {
  const heard: Omit<Heard, 'feed'> = { commits: [], resyncs: [], lines: [] };
  const keep = (message: string) => heard.lines.push(message);
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep, request() {} };
  const feed = new ChangeFeed(manager, {
    logger,
    onCommit: (transaction) => heard.commits.push(transaction),
    onResync: (position, state) => heard.resyncs.push({ state, position }),
  });
  running.add(feed);
  feed.start();
  return { feed, ...heard };
}

async function following(heard: Heard, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => expect(heard.feed.state).toBe('following'), { timeoutMs });
}

function primary(): ClusterNode {
  return cluster.manager.choosePrimary();
}

async function logicalSlots(node: ClusterNode): Promise<string[]> {
  const rows = await node.sql<{ name: string }[]>`select slot_name as name from pg_replication_slots where slot_type = 'logical'`;
  return rows.map((row) => row.name);
}

/** Renames a category in a transaction of its own; returns the transaction's id. */
async function renameCategory(id: number, name: string): Promise<string> {
  const [row] = await primary().sql.begin(async (tx) => {
    await tx`update categories set name = ${name} where id = ${id}`;
    return tx<{ xid: string }[]>`select txid_current()::text as xid`;
  });
  return row!.xid;
}

function heardCategory(heard: Heard, id: number): CommittedTransaction | undefined {
  return heard.commits.find((commit) => commit.rows.some((row) => row.table === 'categories' && row.keys.id?.includes(id)));
}

describe('the change feed', () => {
  it('hears a committed update with its table, its keys and the commit position pg_logical_slot_get_changes gives it', async () => {
    const session = primary().openSession();
    try {
      // A slot of the test's own, read the way the feed read it before it streamed.
      await session`select pg_create_logical_replication_slot('test_reference', 'test_decoding', true)`;
      const heard = startFeed();
      await following(heard);
      const xid = await renameCategory(3, 'Streamed');
      const commit = await eventually(async () => {
        const found = heardCategory(heard, 3);
        expect(found).toBeDefined();
        return found!;
      });
      const lines = await session<{ lsn: string; data: string }[]>`
        select lsn::text, data from pg_logical_slot_get_changes('test_reference', null, null, 'include-xids', 'on')`;
      const reference = lines.find((line) => line.data === `COMMIT ${xid}`);
      expect(reference).toBeDefined();
      expect(commit.commitLsn).toBe(parseLsn(reference!.lsn));
      expect(commit.timeline).toBe(primary().timeline);
      expect(commit.rows).toEqual([{ table: 'categories', keys: expect.objectContaining({ id: [3] }) }]);
      expect(Math.abs(Date.now() - commit.committedAt)).toBeLessThan(5000);
    } finally {
      await session.end();
    }
  });

  it('hears which product a deleted review or picture belonged to', async () => {
    const heard = startFeed();
    await following(heard);
    const [review] = await primary().sql<{ id: number; product: number }[]>`
      delete from reviews where id = (select max(id) from reviews) returning id, product_id as product`;
    const [image] = await primary().sql<{ id: number; product: number }[]>`
      delete from product_images where id = (select max(id) from product_images) returning id, product_id as product`;
    await eventually(async () => {
      const rows = heard.commits.flatMap((commit) => commit.rows);
      expect(rows).toContainEqual({ table: 'reviews', keys: expect.objectContaining({ id: [review!.id], product_id: [review!.product] }) });
      expect(rows).toContainEqual({
        table: 'product_images',
        keys: expect.objectContaining({ id: [image!.id], product_id: [image!.product] }),
      });
    });
  });

  it('says it has heard every commit up to the primary’s position at its latest probe, and since when', async () => {
    const heard = startFeed();
    await following(heard);
    const before = Date.now();
    await renameCategory(5, 'Heard up to');
    const committed = await eventually(async () => {
      const found = heardCategory(heard, 5);
      expect(found).toBeDefined();
      return found!;
    });
    const upTo = await eventually(async () => {
      const now = heard.feed.heardUpTo;
      expect(now?.at).toBeGreaterThan(before);
      return now!;
    });
    expect(upTo.position.timeline).toBe(committed.timeline);
    expect(upTo.position.lsn).toBeGreaterThanOrEqual(committed.commitLsn);
  });

  it('stays following, on one stream, through an idle time longer than the walsender’s timeout', async () => {
    const run = (statement: string) => primary().sql.unsafe(statement);
    await run("alter system set wal_sender_timeout = '2s'");
    await run('select pg_reload_conf()');
    try {
      const heard = startFeed();
      await following(heard);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(heard.feed.state).toBe('following');
      expect(heard.resyncs.map(({ state }) => state)).toEqual(['following']);
      expect(heard.feed.lagMs).toBeLessThan(1000);
      await renameCategory(4, 'After a quiet time');
      await eventually(async () => expect(heardCategory(heard, 4)).toBeDefined());
    } finally {
      await run('alter system reset wal_sender_timeout');
      await run('select pg_reload_conf()');
    }
  });

  it('starts again from a new slot when its walsender is terminated, and says so first', async () => {
    const heard = startFeed();
    await following(heard);
    const [before] = await logicalSlots(primary());
    await primary().sql`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = ${before!}`;
    await eventually(async () => expect(heard.resyncs.map(({ state }) => state)).toEqual(['following', 'connecting', 'following']));
    await renameCategory(5, 'After a reconnect');
    await eventually(async () => expect(heardCategory(heard, 5)).toBeDefined());
    expect(await logicalSlots(primary())).not.toContain(before);
  });

  it('leaves no slot on the primary once stopped', async () => {
    const heard = startFeed();
    await following(heard);
    expect(await logicalSlots(primary())).toHaveLength(1);
    await heard.feed.stop();
    expect(heard.feed.state).toBe('stopped');
    expect(await logicalSlots(primary())).toEqual([]);
  });

  it('never confirms a commit to the primary before a replica has replayed it, should synchronous replication count it as a standby', async () => {
    const run = (statement: string) => primary().sql.unsafe(statement);
    const replicas = cluster.manager.nodes.filter((node) => node.role === 'replica');
    const [current] = await primary().sql<{ setting: string }[]>`select current_setting('synchronous_standby_names') as setting`;
    const setting = current!.setting;
    const session = primary().openSession();
    try {
      const heard = startFeed();
      await following(heard);
      // A walsender matches `*` in synchronous_standby_names whatever it is; naming it makes it the only one.
      await run(`alter system set synchronous_standby_names = 'FIRST 1 ("shopgraph-change-feed")'`);
      await run('select pg_reload_conf()');
      await eventually(async () =>
        expect(
          await primary().sql`select 1 from pg_stat_replication where application_name = 'shopgraph-change-feed' and sync_state = 'sync'`,
        ).toHaveLength(1),
      );
      await renameCategory(7, 'Confirmed once replayed');
      await Promise.all(replicas.map((node) => node.sql`select pg_wal_replay_pause()`));
      const [backend] = await session<{ pid: number }[]>`select pg_backend_pid() as pid`;
      let done = false;
      const update = session`update categories set name = 'Not replayed anywhere' where id = 8`.then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(done).toBe(false);
      // Cancelling the wait for a standby leaves the commit done here and confirmed by none.
      await primary().sql`select pg_cancel_backend(${backend!.pid})`;
      await update;
      await eventually(async () => expect(heardCategory(heard, 8)).toBeDefined());
    } finally {
      await Promise.all(replicas.map((node) => node.sql`select pg_wal_replay_resume()`));
      await run(`alter system set synchronous_standby_names = '${setting}'`);
      await run('select pg_reload_conf()');
      await session.end();
    }
  }, 30_000);

  it('is unavailable for a role without REPLICATION, and the log names the fix', async () => {
    await primary().sql.unsafe("create role cache_reader login password 'cache-reader-password'");
    const nodes = cluster.cluster.nodes.map(({ name, url }) => {
      const parsed = new URL(url);
      parsed.username = 'cache_reader';
      parsed.password = 'cache-reader-password';
      return { name, url: parsed.toString() };
    });
    const manager = await ConnectionManager.start({ nodes, poolSize: 1, probeIntervalMs: 200, modeHoldMs: 0 });
    try {
      const heard = startFeed(manager);
      await eventually(async () => expect(heard.feed.state).toBe('unavailable'));
      expect(heard.resyncs).toEqual([{ state: 'unavailable', position: undefined }]);
      expect(heard.lines.filter((line) => line.includes('fix: ALTER ROLE cache_reader REPLICATION'))).toHaveLength(1);
      expect(await logicalSlots(primary())).toEqual([]);
    } finally {
      await Promise.all([...running].map((feed) => feed.stop()));
      running.clear();
      await manager.close();
    }
  });

  it('is unavailable while the primary does not decode its WAL, and the log says why', async () => {
    const restartPrimary = async (setting: string) => {
      await primary().sql.unsafe(setting);
      const name = primary().name;
      await cluster.cluster.stopNode(name);
      await cluster.cluster.startNode(name);
      await eventually(async () => expect(cluster.manager.primary?.name).toBe(name), { timeoutMs: 20_000 });
    };
    await restartPrimary('alter system set wal_level = replica');
    try {
      const heard = startFeed();
      await eventually(async () => expect(heard.feed.state).toBe('unavailable'));
      expect(heard.resyncs).toEqual([{ state: 'unavailable', position: undefined }]);
      expect(heard.lines.filter((line) => line.includes('wal_level is not logical'))).toHaveLength(1);
      expect(heard.feed.lagMs).toBeUndefined();
    } finally {
      await Promise.all([...running].map((feed) => feed.stop()));
      running.clear();
      await restartPrimary('alter system reset wal_level');
    }
  }, 60_000);

  it('gives up a stream that went silent (a cut link) and says so, then follows again once the link is back', async () => {
    const node = cluster.cluster.nodes.find(({ name }) => name === primary().name)!;
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: node.port });
    // Probed when it starts and then not for a minute: only the stream itself can notice the cut.
    const manager = await ConnectionManager.start({
      nodes: [{ name: node.name, url: proxy.proxyUrl(node.url) }],
      poolSize: 1,
      probeIntervalMs: 60_000,
      modeHoldMs: 0,
    });
    try {
      const heard = startFeed(manager);
      await following(heard);
      proxy.setMode({ kind: 'blackhole' });
      await eventually(async () => expect(heard.resyncs.map(({ state }) => state)).toEqual(['following', 'connecting']), {
        timeoutMs: 20_000,
      });
      proxy.setMode({ kind: 'pass' });
      await eventually(async () => expect(heard.resyncs.map(({ state }) => state)).toEqual(['following', 'connecting', 'following']), {
        timeoutMs: 30_000,
      });
    } finally {
      proxy.setMode({ kind: 'pass' });
      await Promise.all([...running].map((feed) => feed.stop()));
      running.clear();
      await manager.close();
      await proxy.close();
    }
  }, 60_000);

  it('follows a failover: says it lost the primary, then hears commits on the new one from a new slot', async () => {
    const heard = startFeed();
    await following(heard);
    const { to } = await cluster.cluster.failover();
    await eventually(
      async () => {
        expect(heard.resyncs.map(({ state }) => state)).toEqual(['following', 'connecting', 'following']);
        expect(heard.resyncs[2]!.position?.timeline).toBe(2);
      },
      { timeoutMs: 30_000 },
    );
    expect(primary().name).toBe(to);
    await renameCategory(6, 'On the new primary');
    const commit = await eventually(async () => {
      const found = heardCategory(heard, 6);
      expect(found).toBeDefined();
      return found!;
    });
    expect(commit.timeline).toBe(2);
    expect(commit.commitLsn).toBeGreaterThan(heard.resyncs[2]!.position!.lsn);
    expect(await logicalSlots(primary())).toHaveLength(1);
    await heard.feed.stop();
    expect(await logicalSlots(primary())).toEqual([]);
  }, 60_000);
});
