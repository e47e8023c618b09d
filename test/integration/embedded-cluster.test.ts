import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { sharedNodes } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

const clients: postgres.Sql[] = [];
const connect = (url: string) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  clients.push(sql);
  return sql;
};
afterAll(() => Promise.all(clients.map((sql) => sql.end())));

describe('the embedded cluster', () => {
  it('runs one primary and two physical streaming replicas', async () => {
    const [primary, ...replicas] = sharedNodes().map((node) => connect(node.url));
    expect((await primary!`select pg_is_in_recovery() as r`)[0]!.r).toBe(false);
    for (const replica of replicas) expect((await replica`select pg_is_in_recovery() as r`)[0]!.r).toBe(true);
    const streams = await primary!`select application_name, state from pg_stat_replication order by application_name`;
    expect(streams.map((row) => [row.application_name, row.state])).toEqual([
      ['pg2', 'streaming'],
      ['pg3', 'streaming'],
    ]);
  });

  it('replicates a write on the primary to every replica', async () => {
    const [primary, ...replicas] = sharedNodes().map((node) => connect(node.url));
    const marker = `replication-check-${process.pid}-${Date.now()}`;
    await primary!`create table if not exists replication_check (marker text primary key)`;
    await primary!`insert into replication_check values (${marker})`;
    for (const replica of replicas) {
      await eventually(async () => expect(await replica`select 1 from replication_check where marker = ${marker}`).toHaveLength(1));
    }
  });

  it('listens on loopback only', async () => {
    for (const node of sharedNodes()) {
      const [row] = await connect(node.url)`select current_setting('listen_addresses') as addresses, inet_server_addr()::text as address`;
      expect(row).toEqual({ addresses: '127.0.0.1', address: '127.0.0.1/32' });
    }
  });

  it('runs its servers as an unprivileged user, also when the tests run as root', async () => {
    const [row] = await connect(sharedNodes()[0]!.url)`select current_setting('data_directory') as dir`;
    const pid = (await fs.readFile(path.join(row!.dir as string, 'postmaster.pid'), 'utf8')).split('\n')[0]!;
    const { uid } = await fs.stat(`/proc/${pid}`);
    if (process.getuid!() === 0) expect(uid).not.toBe(0);
    else expect(uid).toBe(process.getuid!());
  });
});

describe('an embedded cluster data directory', () => {
  it('is reused by a second open: same nodes, same data, nothing re-created', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-reuse-'));
    try {
      const first = await EmbeddedCluster.open({ dataDir, basePort: 'auto', durable: false, replicas: 1 });
      await first.up();
      const sql = connect(first.nodes[0]!.url);
      await sql`create table kept (value int)`;
      await sql`insert into kept values (42)`;
      await sql.end();
      await first.down();

      const progress: string[] = [];
      const second = await EmbeddedCluster.open({
        dataDir,
        basePort: 'auto',
        durable: false,
        replicas: 1,
        onProgress: (line) => progress.push(line),
      });
      expect(second.nodes.map((n) => [n.name, n.port])).toEqual(first.nodes.map((n) => [n.name, n.port]));
      expect(await second.up()).toEqual(['pg1', 'pg2']);
      expect(progress.some((line) => line.startsWith('creating'))).toBe(false);
      expect(await connect(second.nodes[0]!.url)`select value from kept`).toEqual([{ value: 42 }]);
      await second.down();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a port another program holds, naming the port and the fix', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-port-'));
    try {
      await expect(EmbeddedCluster.open({ dataDir, basePort: port, replicas: 0 })).rejects.toThrowError(
        `Port ${port} (for node pg1) is already in use. Set SHOPGRAPH_EMBEDDED_PORT to the first of 1 free ports.`,
      );
    } finally {
      blocker.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
