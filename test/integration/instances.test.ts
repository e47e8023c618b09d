import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import { BackupScheduler, LocalTarget, type ScheduledRun } from '../../src/db/backup/index.js';
import { ApiKeyStore } from '../../src/db/index.js';
import { generateApiKey } from '../../src/graphql/auth/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { silentLogger } from '../../src/log.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

/**
 * Two ShopGraph instances on one cluster, as behind a load balancer: each with its own
 * connection manager and server, as two processes would have. A private cluster, since the
 * last tests fail its primary over.
 */
let cluster: PrivateCluster;
let second: ConnectionManager;
let instances: { manager: ConnectionManager; server: RunningServer }[];
const directories: string[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster();
  second = await ConnectionManager.start({ nodes: cluster.cluster.nodes, poolSize: 4, probeIntervalMs: 200 });
  instances = [];
  for (const manager of [cluster.manager, second]) {
    instances.push({ manager, server: await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1' }) });
  }
});

afterAll(async () => {
  for (const { server } of instances ?? []) await server.stop();
  await second?.close();
  await cluster?.stop();
  for (const directory of directories) await fs.rm(directory, { recursive: true, force: true });
});

async function sharedTarget(): Promise<LocalTarget> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-instances-'));
  directories.push(directory);
  return new LocalTarget(directory);
}

const scheduler = (manager: ConnectionManager, target: LocalTarget, intervalMs: number) =>
  new BackupScheduler(manager, target, { intervalMs, keep: 100, logger: silentLogger });

describe('scheduled backups on two instances', () => {
  it('are taken by one instance when both schedules fire at once', async () => {
    const target = await sharedTarget();
    const schedulers = instances.map(({ manager }) => scheduler(manager, target, 3_600_000));
    const runs = await Promise.all(schedulers.map((each) => each.runOnce()));
    expect(runs.map((run) => run.kind).sort()).toEqual(['busy', 'took']);
    expect(await target.list()).toHaveLength(1);
    // Later in the same interval, neither takes another.
    for (const each of schedulers) expect((await each.runOnce()).kind).toBe('recent');
    expect(await target.list()).toHaveLength(1);
  });

  it('come one per interval, whichever instance takes each', async () => {
    const intervalMs = 2_000;
    const target = await sharedTarget();
    const runs: ScheduledRun['kind'][] = [];
    const schedulers = instances.map(({ manager }) => {
      const each = scheduler(manager, target, intervalMs);
      const runOnce = each.runOnce.bind(each);
      each.runOnce = () => runOnce().then((run) => (runs.push(run.kind), run));
      return each;
    });
    schedulers[0]!.start();
    // The second instance's timer is half an interval behind the first's.
    await new Promise((resolve) => setTimeout(resolve, intervalMs / 2));
    schedulers[1]!.start();
    await new Promise((resolve) => setTimeout(resolve, 3.2 * intervalMs));
    for (const each of schedulers) await each.stop();
    const starts = (await target.list()).map((manifest) => Date.parse(manifest.startedAt));
    // The timers fired about 6 times between them (3 backups' worth of time each, without taking turns).
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(0.9 * intervalMs);
  });
});

/** A new API key on the cluster, and its id. */
async function newKey(): Promise<{ id: string; key: string }> {
  const { id, key, secretHash } = generateApiKey();
  await new ApiKeyStore(cluster.manager.route('write')).insert({
    id,
    name: 'instances',
    secretHash,
    scopes: ['catalog:read'],
    ratePerSecond: 1000,
  });
  return { id, key };
}

async function status(server: RunningServer, key: string): Promise<number> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ categories(first: 1) { totalCount } }' }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Revokes the key and returns how long each instance went on accepting it, in ms. */
async function revokeAndTime({ id, key }: { id: string; key: string }): Promise<number[]> {
  // Each instance has the key in its cache.
  for (const { server } of instances) expect(await status(server, key)).toBe(200);
  expect(await new ApiKeyStore(cluster.manager.route('write')).revoke(id)).toBe(true);
  const revokedAt = performance.now();
  return Promise.all(
    instances.map(async ({ server }) => {
      while ((await status(server, key)) !== 401) {
        if (performance.now() - revokedAt > 15_000) throw new Error('the revoked key kept working');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return performance.now() - revokedAt;
    }),
  );
}

describe('a revoked API key', () => {
  it('is refused by both instances within a second', async () => {
    await eventually(() =>
      Promise.resolve(expect(instances.map(({ server }) => server.listeningForRevocationsOn())).toEqual(['pg1', 'pg1'])),
    );
    const delays = await revokeAndTime(await newKey());
    for (const delay of delays) expect(delay).toBeLessThan(1000);
  });

  it('is refused by both instances within a second after their listening connections were cut', async () => {
    const primary = cluster.manager.choosePrimary();
    const cut = await primary.sql<{ pid: number }[]>`
      select pid from pg_stat_activity where query ilike 'listen %' and pid <> pg_backend_pid()`;
    expect(cut.length).toBeGreaterThanOrEqual(2);
    await primary.sql`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen %' and pid <> pg_backend_pid()`;
    // Longer than the heartbeat's timeout: by then each has listened again, or noticed it had not.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await eventually(() =>
      Promise.resolve(expect(instances.map(({ server }) => server.listeningForRevocationsOn())).toEqual(['pg1', 'pg1'])),
    );
    const delays = await revokeAndTime(await newKey());
    for (const delay of delays) expect(delay).toBeLessThan(1000);
  });

  it('is refused by both instances within a second after the primary failed over, the listeners having followed it', async () => {
    const key = await newKey();
    await cluster.cluster.killNode('pg1');
    const { to } = await cluster.cluster.failover();
    await eventually(() => Promise.resolve(expect(instances.map(({ server }) => server.listeningForRevocationsOn())).toEqual([to, to])), {
      timeoutMs: 20_000,
    });
    const delays = await revokeAndTime(key);
    for (const delay of delays) expect(delay).toBeLessThan(1000);
  });
});
