import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { findFreePorts } from '../../src/embedded/ports.js';
import { killTree } from '../../src/embedded/process-tree.js';
import { giveToServerUser, resolveServerUser, spawnIdentity, type ServerUser } from '../../src/embedded/server-user.js';

/**
 * A PostgreSQL cluster of three nodes run by Patroni with etcd as its store, all from
 * Debian's packages (`patroni`, `etcd-server`, `postgresql-15`), on loopback ports chosen
 * here, in a directory of the caller's. Patroni decides who is primary: it fails over on its
 * own when the leader's key expires, switches over on request (patronictl), keeps one
 * synchronous standby (strict synchronous_mode), and rewinds an old primary with pg_rewind before it
 * rejoins as a replica.
 */
export const PATRONI_PACKAGES = 'apt-get install -y --no-install-recommends patroni etcd-server postgresql-15';

const BINARIES = {
  patroni: '/usr/bin/patroni',
  patronictl: '/usr/bin/patronictl',
  etcd: '/usr/bin/etcd',
  pgBin: '/usr/lib/postgresql/15/bin',
};

/** Why the suite cannot run here, or undefined when every program is installed. */
export function missingPatroni(): string | undefined {
  const missing = [BINARIES.patroni, BINARIES.patronictl, BINARIES.etcd, path.join(BINARIES.pgBin, 'postgres')].filter(
    (file) => !existsSync(file),
  );
  return missing.length > 0 ? `${missing.join(', ')} not installed; install them with: ${PATRONI_PACKAGES}` : undefined;
}

export interface PatroniNode {
  name: string;
  pgPort: number;
  restPort: number;
  /** The application's URL (role shopgraph, database shopgraph). */
  url: string;
  /** The superuser's URL, for the test's own look at the node. */
  superUrl: string;
}

const TTL_SECONDS = 10;

export class PatroniCluster {
  private readonly processes = new Map<string, ChildProcess>();
  private etcd: ChildProcess | undefined;
  private readonly logs: WriteStream[] = [];

  private constructor(
    readonly dir: string,
    readonly nodes: PatroniNode[],
    private readonly etcdPorts: { client: number; peer: number },
    private readonly scope: string,
    private readonly passwords: { superuser: string; replication: string; app: string },
    private readonly user: ServerUser | undefined,
  ) {}

  /** Starts etcd and three Patroni nodes, and waits for a leader with a synchronous standby and two streaming replicas. */
  static async start(dir: string): Promise<PatroniCluster> {
    const user = resolveServerUser();
    await fs.chmod(dir, 0o755);
    const [client, peer, ...ports] = await findFreePorts(8);
    const passwords = { superuser: secret(), replication: secret(), app: secret() };
    const nodes = [0, 1, 2].map((index) => {
      const pgPort = ports[index * 2]!;
      return {
        name: `pg${index + 1}`,
        pgPort,
        restPort: ports[index * 2 + 1]!,
        url: `postgres://shopgraph:${passwords.app}@127.0.0.1:${pgPort}/shopgraph`,
        superUrl: `postgres://postgres:${passwords.superuser}@127.0.0.1:${pgPort}/postgres`,
      };
    });
    const cluster = new PatroniCluster(dir, nodes, { client: client!, peer: peer! }, `shopgraph-${secret().slice(0, 8)}`, passwords, user);
    await cluster.startEtcd();
    for (const node of nodes) await cluster.writeConfig(node);
    await giveToServerUser(user, dir);
    for (const node of nodes) await cluster.startNode(node.name);
    await cluster.waitHealthy(120_000);
    await cluster.createApplication();
    return cluster;
  }

  node(name: string): PatroniNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /**
   * The leader, as Patroni says (its REST API answers 200 on `/primary` only on the node that
   * holds the leader key and runs as primary); undefined when none does. Asking PostgreSQL
   * whether it is in recovery would also name an old leader left running by a crashed Patroni.
   */
  async primary(): Promise<string | undefined> {
    for (const node of this.nodes) {
      const status = await fetch(`http://127.0.0.1:${node.restPort}/primary`, { signal: AbortSignal.timeout(2000) })
        .then((response) => response.status)
        .catch(() => undefined);
      if (status === 200) return node.name;
    }
    return undefined;
  }

  /** When `node` is primary (out of recovery) and a standby confirms its commits, polled every 25 ms. */
  async readyForWritesAt(node: string, timeoutMs: number): Promise<{ promotedAt: number; synchronousAt: number }> {
    const deadline = Date.now() + timeoutMs;
    let promotedAt: number | undefined;
    while (Date.now() < deadline) {
      const state = await this.onNode(node, async (sql) => {
        const [row] = await sql<{ primary: boolean; confirmed: boolean }[]>`
          select not pg_is_in_recovery() as primary,
            exists (select 1 from pg_stat_replication where state = 'streaming' and sync_state in ('sync', 'quorum')) as confirmed`;
        return row!;
      }).catch(() => undefined);
      if (state?.primary) {
        promotedAt ??= Date.now();
        if (state.confirmed) return { promotedAt, synchronousAt: Date.now() };
      }
      await sleep(25);
    }
    throw new Error(`${node} was not a primary with a synchronous standby within ${timeoutMs / 1000} s`);
  }

  /** The leader's synchronous standby, as Patroni configured it. */
  async synchronousStandby(): Promise<string | undefined> {
    const leader = await this.primary();
    if (!leader) return undefined;
    const rows = await this.onNode(leader, (sql) => sql`select application_name from pg_stat_replication where sync_state = 'sync'`);
    return rows[0]?.application_name as string | undefined;
  }

  /** A planned switchover with patronictl, to `candidate`. */
  async switchover(leader: string, candidate: string): Promise<void> {
    await this.run(BINARIES.patronictl, [
      '-c',
      this.configFile(leader),
      'switchover',
      '--leader',
      leader,
      '--candidate',
      candidate,
      '--force',
    ]);
  }

  /**
   * kill -9 of a node's whole process tree: Patroni, its postmaster and every backend.
   * Patroni starts the postmaster detached (so that PostgreSQL outlives a Patroni crash), so
   * the postmaster is found by its lock file, not among Patroni's children.
   */
  async killNode(name: string): Promise<void> {
    const child = this.processes.get(name);
    this.processes.delete(name);
    const lockFile = path.join(this.dir, name, 'postmaster.pid');
    const postmaster = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).split('\n')[0]);
    const roots = [child?.pid, postmaster].filter((pid): pid is number => Number.isInteger(pid) && pid! > 0);
    await Promise.all(roots.map((pid) => killTree(pid).catch(() => {})));
    // A dead postmaster's lock file would make the next start wait for it.
    await fs.rm(lockFile, { force: true });
  }

  /**
   * kill -9 of Patroni alone: the PostgreSQL it started runs on, as it does when Patroni
   * crashes on a node without a watchdog.
   */
  async crashPatroni(name: string): Promise<void> {
    const child = this.processes.get(name);
    this.processes.delete(name);
    if (child?.pid) await killTree(child.pid);
  }

  async startNode(name: string): Promise<void> {
    const log = createWriteStream(path.join(this.dir, `${name}.log`), { flags: 'a' });
    this.logs.push(log);
    const child = spawn(BINARIES.patroni, [this.configFile(name)], {
      ...spawnIdentity(this.user),
      cwd: this.dir,
      env: { ...process.env, PATH: `${BINARIES.pgBin}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    this.processes.set(name, child);
  }

  /** Waits until one leader runs with a synchronous standby and both replicas stream from it. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const leader = await this.primary();
        if (leader) {
          const rows = await this.onNode(leader, (sql) => sql`select application_name, state, sync_state from pg_stat_replication`);
          const streaming = rows.filter((row) => row.state === 'streaming');
          if (streaming.length === 2 && rows.some((row) => row.sync_state === 'sync')) return;
          last = `leader ${leader}, standbys ${JSON.stringify(rows)}`;
        } else last = 'no leader yet';
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`the Patroni cluster did not become healthy within ${timeoutMs / 1000} s: ${last}`);
  }

  /** Runs `work` on a node, as the superuser (database postgres) or as the application (its database). */
  async onNode<T>(name: string, work: (sql: postgres.Sql) => Promise<T>, as: 'superuser' | 'application' = 'superuser'): Promise<T> {
    const node = this.node(name);
    const sql = postgres(as === 'superuser' ? node.superUrl : node.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      return await work(sql);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  /** Stops every node (Patroni stops its PostgreSQL) and etcd; kills what does not stop. */
  async stop(): Promise<void> {
    for (const child of this.processes.values()) child.kill('SIGTERM');
    await Promise.all([...this.processes.values()].map((child) => exited(child, 20_000)));
    for (const child of this.processes.values()) if (child.pid && child.exitCode === null) await killTree(child.pid).catch(() => {});
    this.processes.clear();
    if (this.etcd) {
      this.etcd.kill('SIGTERM');
      await exited(this.etcd, 10_000);
    }
    for (const log of this.logs) log.end();
  }

  private async startEtcd(): Promise<void> {
    const { client, peer } = this.etcdPorts;
    const log = createWriteStream(path.join(this.dir, 'etcd.log'));
    this.logs.push(log);
    const name = 'shopgraph-etcd';
    this.etcd = spawn(
      BINARIES.etcd,
      [
        `--name=${name}`,
        `--data-dir=${path.join(this.dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--advertise-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=${name}=http://127.0.0.1:${peer}`,
        '--initial-cluster-state=new',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.etcd.stdout!.pipe(log, { end: false });
    this.etcd.stderr!.pipe(log, { end: false });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://127.0.0.1:${client}/health`)
        .then((response) => response.ok)
        .catch(() => false);
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`etcd did not answer within 30 s; see ${path.join(this.dir, 'etcd.log')}`);
  }

  private configFile(name: string): string {
    return path.join(this.dir, `${name}.yml`);
  }

  private async writeConfig(node: PatroniNode): Promise<void> {
    const socketDir = path.join(this.dir, `${node.name}-socket`);
    await fs.mkdir(socketDir, { recursive: true });
    // Patroni's YAML, written as JSON (a subset of YAML).
    const config = {
      scope: this.scope,
      namespace: '/service/',
      name: node.name,
      restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
      etcd3: { hosts: `127.0.0.1:${this.etcdPorts.client}` },
      bootstrap: {
        dcs: {
          // The leader key lives 10 s: a dead leader is replaced after that. loop_wait +
          // 2 x retry_timeout must stay under the ttl.
          ttl: TTL_SECONDS,
          loop_wait: 1,
          retry_timeout: 4,
          maximum_lag_on_failover: 1024 * 1024,
          synchronous_mode: true,
          // A leader without a standby makes commits wait rather than acknowledges them alone,
          // and a new leader starts with '*': the first standby to stream from it confirms
          // commits at once, without waiting for Patroni to name it.
          synchronous_mode_strict: true,
          postgresql: {
            use_pg_rewind: true,
            use_slots: true,
            parameters: {
              wal_level: 'replica',
              hot_standby: 'on',
              wal_log_hints: 'on',
              max_wal_senders: 10,
              max_replication_slots: 10,
              wal_keep_size: '256MB',
              max_connections: 100,
            },
          },
        },
        initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
        pg_hba: ['host replication replicator 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256'],
      },
      postgresql: {
        listen: `127.0.0.1:${node.pgPort}`,
        connect_address: `127.0.0.1:${node.pgPort}`,
        data_dir: path.join(this.dir, node.name),
        bin_dir: BINARIES.pgBin,
        pgpass: path.join(this.dir, `${node.name}.pgpass`),
        authentication: {
          superuser: { username: 'postgres', password: this.passwords.superuser },
          replication: { username: 'replicator', password: this.passwords.replication },
          rewind: { username: 'postgres', password: this.passwords.superuser },
        },
        parameters: { unix_socket_directories: socketDir, fsync: 'off' },
      },
      tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
      log: { level: 'INFO' },
    };
    await fs.writeFile(this.configFile(node.name), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }

  /** The application's role (with pg_monitor, as the README asks) and database, on the leader. */
  private async createApplication(): Promise<void> {
    const leader = (await this.primary())!;
    await this.onNode(leader, async (sql) => {
      await sql.unsafe(`create role shopgraph login password '${this.passwords.app}'`);
      await sql`grant pg_monitor to shopgraph`;
      await sql`create database shopgraph owner shopgraph`;
    });
  }

  private run(program: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, { ...spawnIdentity(this.user), cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`${path.basename(program)} ${args.join(' ')} failed (${code}): ${output.trim()}`)),
      );
    });
  }
}

function secret(): string {
  return randomBytes(12).toString('hex');
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
