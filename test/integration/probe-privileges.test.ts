import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import type { Logger } from '../../src/log.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

/**
 * ShopGraph probing as a role of least privilege: the application's table rights plus
 * `pg_monitor`, as the README asks, and the same without `pg_monitor`.
 */
const PASSWORD = 'probe-role-password';

let cluster: PrivateCluster;

/** A logger that keeps what it is told, to read the start-up messages. */
function recordingLogger(lines: string[]): Logger {
  const keep = (message: string) => lines.push(message);
  return { debug: keep, info: keep, warn: keep, error: keep, request() {} };
}

function nodesAs(role: string) {
  return cluster.cluster.nodes.map(({ name, url }) => {
    const parsed = new URL(url);
    parsed.username = role;
    parsed.password = PASSWORD;
    return { name, url: parsed.toString() };
  });
}

beforeAll(async () => {
  cluster = await startPrivateCluster();
  const primary = cluster.manager.choosePrimary();
  await (async (node) => {
    for (const role of ['shop_monitored', 'shop_unmonitored']) {
      await node.sql.unsafe(`create role ${role} login password '${PASSWORD}'`);
      await node.sql.unsafe(`grant select, insert, update, delete on all tables in schema public to ${role}`);
      await node.sql.unsafe(`grant usage, select on all sequences in schema public to ${role}`);
    }
    await node.sql.unsafe('grant pg_monitor to shop_monitored');
  })(primary);
});
afterAll(() => cluster?.stop());

describe('a probing role without pg_monitor', () => {
  it('names the missing grant once and cannot tell whether a standby confirms commits', async () => {
    const lines: string[] = [];
    const manager = await ConnectionManager.start({
      nodes: nodesAs('shop_unmonitored'),
      poolSize: 1,
      probeIntervalMs: 200,
      logger: recordingLogger(lines),
    });
    try {
      await eventually(async () => expect(manager.status().nodes.every((node) => node.state === 'up')).toBe(true));
      expect(lines.filter((line) => line.includes('GRANT pg_monitor TO shop_unmonitored'))).toHaveLength(1);
      expect(manager.status().durability).toBe('unknown');
    } finally {
      await manager.close();
    }
  });
});

describe('a probing role with pg_monitor and table rights only', () => {
  let manager: ConnectionManager;
  const lines: string[] = [];

  beforeAll(async () => {
    manager = await ConnectionManager.start({
      nodes: nodesAs('shop_monitored'),
      poolSize: 2,
      probeIntervalMs: 200,
      modeHoldMs: 0,
      logger: recordingLogger(lines),
    });
  });
  afterAll(() => manager?.close());

  it('sees every node, and that a standby confirms the primary commits', async () => {
    await eventually(async () =>
      expect(manager.status()).toMatchObject({ mode: 'normal', primary: 'pg1', durability: 'synchronous', timeline: 1 }),
    );
    expect(lines.some((line) => line.includes('pg_monitor'))).toBe(false);
  });

  it('follows a failover without fencing the replica that follows the new primary', async () => {
    const { to } = await cluster.cluster.failover();
    const other = ['pg2', 'pg3'].find((name) => name !== to)!;
    await eventually(
      async () => {
        const status = manager.status();
        expect(status).toMatchObject({ primary: to, timeline: 2 });
        expect(status.nodes.find((node) => node.name === other)).toMatchObject({
          role: 'replica',
          state: 'up',
          timeline: 2,
          fenced: false,
          ineligible: null,
        });
      },
      { timeoutMs: 15_000 },
    );
    const served = await manager.route('read').run(async (node) => {
      const [row] = await node.sql<{ count: number }[]>`select count(*)::int as count from products`;
      expect(row!.count).toBeGreaterThan(0);
      return node.name;
    });
    expect(served).toBe(other);
  });
});

describe('a server that refuses a function the probe calls, as Aurora readers refuse pg_last_wal_receive_lsn()', () => {
  it('is said once per node with its SQLSTATE, and the node gets no work', async () => {
    const run = (statement: string) => cluster.manager.choosePrimary().sql.unsafe(statement);
    await run('revoke execute on function pg_last_wal_receive_lsn() from public');
    const lines: string[] = [];
    const logger: Logger = {
      ...recordingLogger(lines),
      error: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`),
    };
    const manager = await ConnectionManager.start({ nodes: nodesAs('shop_unmonitored'), poolSize: 1, probeIntervalMs: 100, logger });
    try {
      // pg1 was stopped by the failover above; the two others run and answer.
      const running = ['pg2', 'pg3'];
      await eventually(async () => expect(lines.filter((line) => line.includes('refuses the health probe'))).toHaveLength(2));
      for (const name of running) {
        expect(lines).toContainEqual(expect.stringContaining(`"node":"${name}","sqlState":"42501"`));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(lines.filter((line) => line.includes('refuses the health probe'))).toHaveLength(2);
      expect(manager.status().nodes.every((node) => node.state !== 'up')).toBe(true);
    } finally {
      await manager.close();
      await run('grant execute on function pg_last_wal_receive_lsn() to public');
    }
  });
});
