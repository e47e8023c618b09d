import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn, type Route } from '../../src/cluster/index.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { pauseReplay } from '../support/replay.js';

/**
 * A read operation pinned to a replica that dies mid-operation must continue on a node at
 * least as fresh as the one it lost, or the client would see data go back in time within one
 * response. Here the other replica is held behind (replay paused), so only the primary
 * qualifies.
 */
let cluster: PrivateCluster;
let pg3: postgres.Sql;

beforeAll(async () => {
  cluster = await startPrivateCluster({ manager: { maxReplicaLagBytes: 1024 ** 3, maxReplicaLagSeconds: 3600 } });
  pg3 = postgres(cluster.cluster.node('pg3').url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await pg3?.end();
  await cluster?.stop();
});

const whoServes = (route: Route) =>
  route.run(async (node) => {
    const [row] = await node.sql<{ port: number }[]>`select inet_server_port() as port`;
    return row!.port;
  });

describe('a read operation whose replica dies', () => {
  it('continues on a node at least as fresh, not on a replica that is further behind', async () => {
    const { manager } = cluster;
    const port = (name: string) => cluster.cluster.node(name).port;
    await pauseReplay(pg3);
    const [message] = await manager
      .route('write')
      .run((node) => node.sql<{ lsn: string }[]>`select pg_logical_emit_message(false, 'freshness', 'x', true)::text as lsn`, {
        kind: 'write',
      });
    // pg3 stopped replaying before this record. Once pg2's probed position has reached its end
    // (what pg_logical_emit_message returns), pg2 is fresher than anything pg3 can have;
    // comparing the two nodes' probes instead could compare a new probe with an old one.
    const written = parseLsn(message!.lsn);
    const pg2 = manager.nodes.find((node) => node.name === 'pg2')!;
    await eventually(() => Promise.resolve(expect(pg2.lsn >= written).toBe(true)));

    let route: Route;
    do route = manager.route('read');
    while ((await whoServes(route)) !== port('pg2'));

    await cluster.cluster.killNode('pg2');
    const served = await whoServes(route);
    // If this ever fails, say which node served and what the manager knew when it chose.
    const known = manager.nodes.map((node) => `${node.name} (port ${port(node.name)}) ${node.role} ${node.health.state} at ${node.lsn}`);
    expect(served, `served by port ${served}; choice ${route.readChoice?.node.name}; ${known.join(', ')}`).toBe(port('pg1'));
    expect(route.readChoice).toMatchObject({ decision: 'primary-fallback' });
    await pg3`select pg_wal_replay_resume()`;
  });
});
