import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { ConnectionManager } from '../../src/cluster/index.js';
import { ApiKeyStore, migrateDatabase, seedDatabase } from '../../src/db/index.js';
import { timelineOfDataDir } from '../../src/embedded/data-dir.js';
import { ClusterKeeper, EmbeddedCluster } from '../../src/embedded/index.js';
import { NodeWatcher } from '../../src/embedded/node-view.js';
import { findFreePorts } from '../../src/embedded/ports.js';
import { generateApiKey } from '../../src/graphql/auth/index.js';
import { plainPromote } from '../support/faults.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startTcpProxy, type LinkMode, type TcpProxy } from '../support/tcp-proxy.js';
import type { NodeRef, Step } from './schedule.js';

export interface EnvironmentOptions {
  dataDir: string;
  /** Demo data scale (0.1: 1,000 products, 500 customers). */
  scale: number;
  /** SHOPGRAPH_MAX_REPLICA_LAG_SECONDS of the server. */
  lagBoundSeconds: number;
  log: (line: string) => void;
}

/** A change of what could serve, for telling excusable failed reads from the others. */
interface ServingState {
  /** Date.now() when the state began. */
  since: number;
  /** Nodes on the newest timeline that run, are not paused and whose link works, with ShopGraph up. */
  serving: string[];
}

/**
 * The chaos run's world: an embedded cluster (1 primary, 2 replicas) with its keeper, as
 * `shopgraph start` runs it, a TCP proxy in front of each node, and the ShopGraph server as a
 * process of its own that reaches the nodes through the proxies. It carries out schedule
 * steps, remembers which faults are on, and heals everything between schedules.
 */
export class ChaosEnvironment {
  url = '';
  apiKey = '';
  /** The ShopGraph process's log, to show around a failure. */
  readonly serverLog: string[] = [];
  private server: ServerProcess | undefined;
  private serverStopping: Promise<void> | undefined;
  private readonly down = new Set<string>();
  private readonly paused = new Set<string>();
  /** Replicas whose WAL replay the schedule paused. */
  private readonly replayPaused = new Set<string>();
  private readonly links = new Map<string, LinkMode>();
  private serverRestarting = false;
  private readonly servingHistory: ServingState[] = [];
  private readonly watcher = new NodeWatcher(500);
  private sampler: NodeJS.Timeout | undefined;
  private refs = new Map<NodeRef, string>();
  private logFile: WriteStream | undefined;

  private constructor(
    readonly cluster: EmbeddedCluster,
    private readonly proxies: Map<string, TcpProxy>,
    private readonly port: number,
    private readonly options: EnvironmentOptions,
  ) {}

  static async create(options: EnvironmentOptions, cleanups: (() => Promise<unknown>)[]): Promise<ChaosEnvironment> {
    let ready = false;
    const cluster = await EmbeddedCluster.open({
      dataDir: path.join(options.dataDir, 'cluster'),
      basePort: 'auto',
      durable: false,
      // What the cluster and its keeper do during the schedules (not the set-up's chatter), at
      // the wall-clock time the nodes' logs and server.log use.
      onProgress: (message) => ready && options.log(`          cluster: ${new Date().toISOString().slice(11, 23)} ${message}`),
    });
    cleanups.push(async () => {
      for (const node of cluster.nodes) await cluster.resumeNode(node.name).catch(() => {});
      await cluster.down();
    });
    await cluster.up();
    const setup = await ConnectionManager.start({ nodes: cluster.nodes, poolSize: 2 });
    let apiKey: string;
    try {
      await migrateDatabase(setup.choosePrimary());
      await seedDatabase(setup.choosePrimary(), { scale: options.scale, seed: 42 });
      const { id, key, secretHash } = generateApiKey();
      await new ApiKeyStore(setup.route('write')).insert({ id, name: 'chaos', secretHash, scopes: ['admin'], ratePerSecond: 1_000_000 });
      apiKey = key;
    } finally {
      await setup.close();
    }
    ready = true;
    const keeper = ClusterKeeper.start(cluster, {
      onError: (error) => options.log(`          keeper: ${(error as Error).message.split('\n')[0]}`),
    });
    cleanups.push(() => keeper.stop());
    const proxies = new Map<string, TcpProxy>();
    for (const node of cluster.nodes) {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: node.port });
      cleanups.push(() => proxy.close());
      proxies.set(node.name, proxy);
    }
    const [port] = await findFreePorts(1);
    const environment = new ChaosEnvironment(cluster, proxies, port!, options);
    environment.apiKey = apiKey;
    environment.url = `http://127.0.0.1:${port}/graphql`;
    cleanups.push(() => environment.stopServer('SIGTERM'));
    cleanups.push(() => {
      environment.endSchedule();
      return environment.watcher.close();
    });
    environment.logFile = createWriteStream(path.join(options.dataDir, 'server.log'));
    cleanups.push(() => new Promise((resolve) => environment.logFile!.end(resolve)));
    await environment.startServer();
    return environment;
  }

  /** Names the nodes by their role now, for a schedule about to begin. */
  beginSchedule(): void {
    clearInterval(this.sampler);
    this.sampler = setInterval(() => void this.recordServing(), 250);
    const primary = this.cluster.primaryName;
    const replicas = this.cluster.nodes.map((node) => node.name).filter((name) => name !== primary);
    this.refs = new Map<NodeRef, string>([
      ['P', primary],
      ['R1', replicas[0]!],
      ['R2', replicas[1]!],
    ]);
    this.servingHistory.length = 0;
    void this.recordServing();
  }

  /** Stops watching what can serve (the schedule's load is over). */
  endSchedule(): void {
    clearInterval(this.sampler);
  }

  /** Carries out one step; returns what it did, for the event log. Throws when it could not. */
  async apply(step: Step): Promise<string> {
    switch (step.action) {
      case 'kill': {
        const name = this.resolve(step.node);
        this.down.add(name);
        await this.recordServing();
        await this.cluster.killNode(name);
        return `kill -9 ${name}`;
      }
      case 'start': {
        const name = this.resolve(step.node);
        await this.cluster.startNode(name, { asIs: step.asIs });
        this.down.delete(name);
        return this.changed(step.asIs ? `${name} started again as it was` : `${name} started again`);
      }
      case 'pause': {
        const name = this.resolve(step.node);
        this.paused.add(name);
        await this.recordServing();
        await this.cluster.pauseNode(name);
        return `pause ${name}`;
      }
      case 'resume': {
        const name = this.resolve(step.node);
        await this.cluster.resumeNode(name);
        this.paused.delete(name);
        return this.changed(`resume ${name}`);
      }
      case 'cut': {
        const name = this.resolve(step.node);
        this.links.set(name, step.link);
        await this.recordServing();
        this.proxies.get(name)!.setMode(step.link);
        return `link to ${name}: ${step.link.kind}${step.link.kind === 'delay' ? ` ${step.link.ms} ms` : ''}`;
      }
      case 'restore': {
        const name = this.resolve(step.node);
        this.links.delete(name);
        this.proxies.get(name)!.setMode({ kind: 'pass' });
        return this.changed(`link to ${name} restored`);
      }
      case 'replay': {
        const name = this.resolve(step.node);
        await this.onNode(name, (sql) => (step.paused ? sql`select pg_wal_replay_pause()` : sql`select pg_wal_replay_resume()`));
        if (step.paused) this.replayPaused.add(name);
        else this.replayPaused.delete(name);
        return `replay on ${name} ${step.paused ? 'paused' : 'resumed'}`;
      }
      case 'promote':
        return this.promote(step.how);
      case 'restart-server': {
        this.serverRestarting = true;
        await this.recordServing();
        await this.stopServer(step.signal);
        await this.startServer();
        this.serverRestarting = false;
        return this.changed(`ShopGraph restarted after ${step.signal}`);
      }
      default:
        return step satisfies never;
    }
  }

  /** The node a schedule's promotion chose, once it ran. */
  get promoted(): string | undefined {
    return this.refs.get('NEW');
  }

  /**
   * Nodes the schedule has not killed, stopped or paused, but `except`: candidates to confirm a
   * primary's commits. Not a replica whose replay is paused: it cannot move to a new primary's
   * timeline (its startup process switches timelines) until replay resumes.
   */
  standbysBesides(except: string): string[] {
    return this.cluster.nodes
      .map((node) => node.name)
      .filter((name) => name !== except && !this.down.has(name) && !this.paused.has(name) && !this.replayPaused.has(name));
  }

  /**
   * Whether some node on the newest timeline was healthy (running, not paused, its link
   * working, ShopGraph up) through all of [from - slack, to], in Date.now() terms.
   */
  servableThroughout(from: number, to: number, slackMs: number): boolean {
    const states = [...this.servingHistory].sort((a, b) => a.since - b.since);
    const relevant = states.filter((state, index) => state.since <= to && (states[index + 1]?.since ?? Infinity) >= from - slackMs);
    if (relevant.length === 0) return false;
    return relevant[0]!.serving.some((name) => relevant.every((state) => state.serving.includes(name)));
  }

  /**
   * Puts everything right: paused nodes resumed, links restored, replay resumed, ShopGraph
   * running, every node started (the old primary rebuilt), then waits until ShopGraph sees a
   * normal, synchronous cluster with both replicas eligible.
   */
  async heal(timeoutMs = 90_000): Promise<void> {
    for (const node of this.cluster.nodes) await this.cluster.resumeNode(node.name);
    this.paused.clear();
    for (const proxy of this.proxies.values()) proxy.setMode({ kind: 'pass' });
    this.links.clear();
    if (!this.server) await this.startServer();
    for (const node of this.cluster.nodes) {
      await this.onNode(node.name, (sql) => sql`select pg_wal_replay_resume() where pg_is_in_recovery()`).catch(() => {});
    }
    this.replayPaused.clear();
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        await this.cluster.up();
        this.down.clear();
        last = await this.readiness();
        if (last === '') break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`the cluster did not heal within ${timeoutMs / 1000} s: ${last}`);
      await sleep(250);
    }
    await this.changed('healed');
  }

  /** Connects straight to a node (not through its proxy). */
  async onNode<T>(name: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    const sql = postgres(this.cluster.node(name).url, { max: 1, onnotice: () => {}, connect_timeout: 3 });
    try {
      return await work(sql);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  async stopServer(signal: NodeJS.Signals): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.serverStopping = server.stop(signal);
    await this.serverStopping;
  }

  /** Why ShopGraph does not see a healthy cluster yet ('' when it does). */
  private async readiness(): Promise<string> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify({
        query: '{ clusterStatus { mode durability synchronousStandbys nodes { name state fenced ineligible role } } }',
      }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as {
      data?: {
        clusterStatus: {
          mode: string;
          durability: string;
          synchronousStandbys: string[];
          nodes: { name: string; state: string; fenced: boolean; ineligible: string | null; role: string }[];
        };
      };
    };
    const status = body.data?.clusterStatus;
    if (!status) return 'no cluster status';
    const unwell = status.nodes.filter((node) => node.state !== 'UP' || node.fenced || node.ineligible !== null);
    if (status.mode !== 'NORMAL' || status.durability !== 'SYNCHRONOUS' || status.synchronousStandbys.length < 2 || unwell.length > 0) {
      return `mode ${status.mode}, durability ${status.durability}, ${JSON.stringify(status.nodes)}`;
    }
    return '';
  }

  private async promote(how: 'pg_ctl promote' | 'cluster failover'): Promise<string> {
    // Like an HA manager, promote only with a view of every live replica: one that is paused
    // now may hold the newest acknowledged commits.
    const waitedFrom = Date.now();
    while ([...this.paused].some((name) => name !== this.refs.get('P')) && Date.now() - waitedFrom < 20_000) await sleep(50);
    const waited = Date.now() - waitedFrom;
    let target: string;
    if (how === 'cluster failover') {
      ({ to: target } = await this.cluster.failover());
      this.down.add(this.refs.get('P')!);
    } else {
      target = await this.mostAdvancedReplica();
      await plainPromote(this.cluster, target);
    }
    this.refs.set('NEW', target);
    return this.changed(`${target} promoted (${how})${waited > 0 ? ` after waiting ${waited} ms for paused replicas` : ''}`);
  }

  private async mostAdvancedReplica(): Promise<string> {
    let best: { name: string; received: bigint } | undefined;
    for (const node of this.cluster.nodes) {
      if (this.down.has(node.name)) continue;
      const received = await this.onNode(node.name, async (sql) => {
        const [row] = await sql<{ recovery: boolean; bytes: string }[]>`
          select pg_is_in_recovery() as recovery,
            pg_wal_lsn_diff(greatest(coalesce(pg_last_wal_receive_lsn(), '0/0'), coalesce(pg_last_wal_replay_lsn(), '0/0')), '0/0')::text as bytes`;
        return row!.recovery ? BigInt(row!.bytes.split('.')[0]!) : undefined;
      }).catch(() => undefined);
      if (received !== undefined && (!best || received > best.received)) best = { name: node.name, received };
    }
    if (!best) throw new Error('no replica answers to be promoted');
    return best.name;
  }

  /** The node a schedule's name for it stands for. */
  nameOf(ref: NodeRef): string {
    return this.resolve(ref);
  }

  private resolve(ref: NodeRef): string {
    const name = this.refs.get(ref);
    if (!name) throw new Error(`${ref} is not known yet (no promotion ran)`);
    return name;
  }

  /** Records what can serve after a change, and returns the change's description. */
  private async changed(description: string): Promise<string> {
    await this.recordServing();
    return description;
  }

  /**
   * Records which nodes could serve now: those not faulted by the schedule that are the
   * primary on the newest timeline, or replicas streaming from it (a replica on the newest
   * timeline that does not stream, say one whose history diverged, cannot). Taken before
   * every fault, after every repair, and every 250 ms in between.
   */
  private async recordServing(): Promise<void> {
    const since = Date.now();
    if (this.serverRestarting) {
      this.servingHistory.push({ since, serving: [] });
      return;
    }
    const healthy = this.cluster.nodes.filter(
      (node) => !this.down.has(node.name) && !this.paused.has(node.name) && !isBroken(this.links.get(node.name)),
    );
    const views = (await Promise.all(healthy.map((node) => this.watcher.view(node)))).filter((view) => view !== undefined);
    const newest = Math.max(...(await Promise.all(this.cluster.nodes.map((node) => timelineOfDataDir(node.dataDir)))));
    const primary = views.find((view) => !view.inRecovery && view.timeline === newest)?.name ?? this.cluster.primaryName;
    const primaryPort = this.cluster.node(primary).port;
    const serving = views
      .filter((view) => (view.name === primary && !view.inRecovery) || (view.inRecovery && view.upstreamPort === primaryPort))
      .map((view) => view.name);
    this.servingHistory.push({ since, serving });
  }

  private async startServer(): Promise<void> {
    await this.serverStopping;
    const { proxies } = this;
    const databaseUrls = this.cluster.nodes.map((node) => `${proxies.get(node.name)!.proxyUrl(node.url)}#${node.name}`);
    const server = await startServerProcess(
      {
        PORT: String(this.port),
        DATABASE_URLS: databaseUrls.join(','),
        SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY: 'true',
        SHOPGRAPH_TIMELINE_FILE: path.join(this.options.dataDir, 'newest-timeline.json'),
        SHOPGRAPH_MAX_REPLICA_LAG_SECONDS: String(this.options.lagBoundSeconds),
        SHOPGRAPH_SHUTDOWN_GRACE_MS: '2000',
      },
      (text) => {
        this.logFile?.write(text);
        for (const line of text.split('\n')) if (line.trim()) this.serverLog.push(line);
        if (this.serverLog.length > 2000) this.serverLog.splice(0, this.serverLog.length - 2000);
      },
    );
    this.server = server;
    server.child.once('exit', () => {
      if (this.server === server) this.server = undefined;
    });
  }
}

function isBroken(link: LinkMode | undefined): boolean {
  return link?.kind === 'drop' || link?.kind === 'blackhole';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
