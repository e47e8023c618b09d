import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterKeeper, EmbeddedCluster } from '../../src/embedded/index.js';
import { descendantsOf } from '../../src/embedded/process-tree.js';
import { eventually } from '../support/eventually.js';
import { plainPromote } from '../support/faults.js';

/**
 * Faults of the embedded cluster itself: a kill leaves nothing running, a pause freezes
 * every process, a node a promotion superseded never starts as primary again, and its keeper
 * brings the other nodes behind a primary promoted by hand.
 */
let dataDir: string;
let cluster: EmbeddedCluster;
const clients: postgres.Sql[] = [];
const connect = (name: string) => {
  const sql = postgres(cluster.node(name).url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  clients.push(sql);
  return sql;
};

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-embedded-faults-'));
  cluster = await EmbeddedCluster.open({ dataDir, basePort: 'auto', durable: false, replicas: 2 });
  await cluster.up();
  await connect('pg1')`create table marks (id int primary key, note text)`;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 0 }).catch(() => {})));
});
afterAll(async () => {
  for (const node of cluster?.nodes ?? []) await cluster.resumeNode(node.name).catch(() => {});
  await cluster?.down().catch(() => {});
  await fs.rm(dataDir, { recursive: true, force: true });
});

const postmasterPid = async (name: string) =>
  Number((await fs.readFile(path.join(cluster.node(name).dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
const isRunning = async (pid: number) => {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/^\S+ \(.*\) [ZX] /.test(stat);
};

describe('a replica', () => {
  it('has the synchronous standby setting it needs as a primary already, so a promotion by hand never commits alone', async () => {
    const settings = await Promise.all(
      ['pg2', 'pg3'].map(async (name) => (await connect(name)`select current_setting('synchronous_standby_names') as names`)[0]),
    );
    expect(settings).toEqual([{ names: 'ANY 1 (pg1, pg3)' }, { names: 'ANY 1 (pg1, pg2)' }]);
  });
});
describe('killing a node', () => {
  it('leaves none of its processes running, backends included, when it returns', async () => {
    const session = connect('pg3');
    const [row] = await session<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const backend = row!.pid;
    const postmaster = await postmasterPid('pg3');
    const tree = [postmaster, ...(await descendantsOf(postmaster))];
    expect(tree).toContain(backend);

    await cluster.killNode('pg3');

    for (const pid of tree) expect(await isRunning(pid), `process ${pid} of pg3`).toBe(false);
    await cluster.startNode('pg3');
  });
});

describe('pausing a node', () => {
  it('freezes every process of it until it is resumed', async () => {
    const session = connect('pg2');
    await session`select 1`;
    await cluster.pauseNode('pg2');
    try {
      const answer = session`select 1 as one`.then((rows) => rows[0]);
      const outcome = await Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve('no answer'), 500))]);
      expect(outcome).toBe('no answer');
      await cluster.resumeNode('pg2');
      expect(await answer).toEqual({ one: 1 });
    } finally {
      await cluster.resumeNode('pg2');
    }
  });
});

describe('a primary that a promotion superseded', () => {
  it('is rebuilt as a replica of the new primary when the cluster starts again, never started as primary', async () => {
    await connect('pg1')`insert into marks values (1, 'before the failover')`;
    await cluster.killNode('pg1');
    await plainPromote(cluster, 'pg2');
    // No replica follows pg2 (pg3 still points at pg1) and its commits wait for one: this
    // write is kept on pg2 alone, on purpose.
    await connect('pg2').begin(async (tx) => {
      await tx`set local synchronous_commit = local`;
      await tx`insert into marks values (2, 'on the new timeline')`;
    });
    await cluster.down();

    await cluster.up();

    expect(cluster.primaryName).toBe('pg2');
    const [pg1] = await connect('pg1')<{ inRecovery: boolean }[]>`select pg_is_in_recovery() as "inRecovery"`;
    expect(pg1!.inRecovery).toBe(true);
    await eventually(async () =>
      expect(await connect('pg1')`select id, note from marks order by id`).toEqual([
        { id: 1, note: 'before the failover' },
        { id: 2, note: 'on the new timeline' },
      ]),
    );
  });

  it('is rebuilt as a replica when started alone after a promotion done by hand', async () => {
    await cluster.killNode('pg2');
    await plainPromote(cluster, 'pg3');

    await cluster.startNode('pg2');

    expect(cluster.primaryName).toBe('pg3');
    await connect('pg3')`insert into marks values (3, 'on timeline 3')`;
    const [row] = await connect('pg2')<{ inRecovery: boolean }[]>`select pg_is_in_recovery() as "inRecovery"`;
    expect(row!.inRecovery).toBe(true);
    await eventually(async () => expect(await connect('pg2')`select note from marks where id = 3`).toEqual([{ note: 'on timeline 3' }]));
  });
});

describe('the cluster keeper', () => {
  let keeper: ClusterKeeper | undefined;
  afterAll(() => keeper?.stop());
  const streamsTo = async (primary: string) =>
    (
      await connect(primary)<{ name: string; sync: string }[]>`
      select application_name as name, sync_state as sync from pg_stat_replication where state = 'streaming' order by 1`
    ).map((row) => `${row.name}:${row.sync}`);

  it('points a replica that follows an old primary at the new one', async () => {
    // pg1 still follows pg2, which the previous test replaced by a promotion of pg3 by hand.
    keeper = ClusterKeeper.start(cluster, { intervalMs: 100 });
    await eventually(async () => expect(await streamsTo('pg3')).toEqual(['pg1:quorum', 'pg2:quorum']), { timeoutMs: 15_000 });
  });

  it('makes commits wait for a standby again after a promotion by hand', async () => {
    await cluster.killNode('pg3');
    await plainPromote(cluster, 'pg1');

    await eventually(async () => expect(await streamsTo('pg1')).toEqual(['pg2:quorum']), { timeoutMs: 15_000 });
    expect(cluster.primaryName).toBe('pg1');
    const [setting] = await connect('pg1')`select current_setting('synchronous_standby_names') as names`;
    expect(setting).toEqual({ names: 'ANY 1 (pg2, pg3)' });
    await connect('pg1')`insert into marks values (4, 'on timeline 4, confirmed by a standby')`;
  });

  it('rebuilds as a replica an old primary started again on its superseded timeline', async () => {
    await cluster.startNode('pg3', { asIs: true });

    await eventually(
      async () => {
        const [row] = await connect('pg3')<{ inRecovery: boolean }[]>`select pg_is_in_recovery() as "inRecovery"`;
        expect(row!.inRecovery).toBe(true);
        expect(await connect('pg3')`select note from marks where id = 4`).toEqual([{ note: 'on timeline 4, confirmed by a standby' }]);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(await streamsTo('pg1')).toEqual(['pg2:quorum', 'pg3:quorum']);
  });
});
