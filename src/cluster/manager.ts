import { isServerError, PrimaryUnavailableError, ServiceUnavailableError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { FailureKind } from './failure.js';
import { classifyFailure, isNodeFailure } from './failure.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicy, type HealthState } from './health.js';
import { formatLsn, type Lsn } from './lsn.js';
import { ClusterNode, type NodeEndpoint, type NodeRole } from './node.js';
import {
  chooseReplica,
  clusterMode,
  electPrimary,
  lagOf,
  referencePosition,
  replicaIneligibility,
  type ClusterMode,
  type Election,
  type IneligibleReason,
} from './policy.js';
import { probeNode, ProbeTimeoutError, type ProbeResult } from './probe.js';
import {
  Route,
  type FallbackReason,
  type ReadChoice,
  type ReadConstraints,
  type RouteHost,
  type RouteIntent,
  type RouteOptions,
} from './route.js';
import { RoutingStats } from './stats.js';
import { ModeSettler } from './mode-settler.js';
import { PositionHistory } from './position-history.js';
import { NewestTimeline, reaches, type Position, type TimelineStore } from './timeline.js';

export interface ConnectionManagerOptions {
  nodes: NodeEndpoint[];
  /** Connections per node. */
  poolSize: number;
  /** How often every node is probed, in ms (default 500). */
  probeIntervalMs?: number;
  /** How long one probe may take before it counts as failed, in ms (default 1000). */
  probeTimeoutMs?: number;
  /** How long opening a connection may take, in ms (default 2000). */
  connectTimeoutMs?: number;
  /** A replica further behind than this many WAL bytes serves no reads (default 16 MiB). */
  maxReplicaLagBytes?: number;
  /** A replica further behind than this many seconds serves no reads (default 10). */
  maxReplicaLagSeconds?: number;
  /** With no eligible replica, read from the primary (default true) instead of failing. */
  fallbackToPrimary?: boolean;
  /** Client-side limit for one read, in ms, after which the node counts as failed (default 5000). */
  statementTimeoutMs?: number;
  /** How long a read with a consistency token waits for a replica to catch up, in ms (default 500). */
  tokenWaitMs?: number;
  /** How long a write waits for a primary to be (re)discovered before PRIMARY_UNAVAILABLE, in ms (default 300). */
  primaryWaitMs?: number;
  /** How long a new cluster mode must hold before status, readiness and metrics report it, in ms (default 2000). */
  modeHoldMs?: number;
  /**
   * How often a node's probe connection is opened anew, in ms (default 5000), so that a URL
   * with several servers behind it (a pooled endpoint) shows another of them.
   */
  probeReconnectMs?: number;
  /**
   * Writes only on a primary that a synchronous standby confirms commits for (default false),
   * so that an acknowledged write is always on two nodes. Without one, writes are refused
   * with PRIMARY_UNAVAILABLE until a standby streams again.
   */
  requireSynchronousStandby?: boolean;
  health?: HealthPolicy;
  /**
   * Keeps the newest timeline seen across restarts, so that a restarted server still fences an
   * old primary while the newer one is unreachable. Without it, a fresh start knows only what
   * the nodes that answer say.
   */
  timelineStore?: TimelineStore;
  /** Injected for tests. */
  clock?: () => number;
  random?: () => number;
  logger?: Logger;
}

export interface NodeStatus {
  name: string;
  role: NodeRole;
  state: HealthState;
  /** Whether the node answered its last probe. */
  reachable: boolean;
  /** A primary that must not take writes (older timeline, or a tie). */
  fenced: boolean;
  timeline: number | null;
  /** The node's WAL position as last probed ("0/3000148"). */
  lsn: string | null;
  /** WAL bytes the node has yet to replay to match the primary; null when unknown. */
  lagBytes: number | null;
  /** Seconds its replay is behind the primary's commits; null when unknown. */
  lagSeconds: number | null;
  latencyMs: number | null;
  inFlight: number;
  /** Statements this process sent to the node since it started. */
  statements: number;
  /** Why a replica is not serving reads now. */
  ineligible: IneligibleReason | null;
  /**
   * Why the node's URL is taken for a pooled endpoint (several servers behind one URL), or
   * null: it then serves only reads without a consistency token, after every direct replica.
   */
  pooled: string | null;
}

/** How often a request waiting for the primary (or its synchronous standby) looks again, in ms. */
const PRIMARY_RECHECK_MS = 25;

/** Where the primary's commits are kept before they are acknowledged; see ConnectionManager.durability. */
export type Durability = 'synchronous' | 'local-only' | 'unknown';

export interface ClusterStatus {
  mode: ClusterMode;
  primary: string | null;
  /** Whether a standby confirms the primary's commits (`synchronous`) or it commits alone. */
  durability: Durability;
  /** The standbys that confirm the primary's commits now (application names). */
  synchronousStandbys: string[];
  /** Whether writes are refused while the primary commits alone (SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY). */
  synchronousRequired: boolean;
  /** The newest timeline this process has seen (0 before any node answered); nodes on older ones serve nothing. */
  timeline: number;
  /** Several nodes claim to be primary on the newest timeline: writes are refused until resolved. */
  conflict: boolean;
  nodes: NodeStatus[];
}

/**
 * Knows every node of the cluster, its role, its health and how far behind it is, and hands
 * out routes: reads to a healthy, fresh-enough replica, writes to the primary of the moment.
 * Roles come from probes (`pg_is_in_recovery()`), never from the configured order, so a
 * promoted replica is followed without a restart or a configuration change.
 */
export class ConnectionManager implements RouteHost {
  readonly nodes: readonly ClusterNode[];
  readonly stats = new RoutingStats();
  readonly statementTimeoutMs: number;
  private readonly settings: Required<
    Omit<ConnectionManagerOptions, 'nodes' | 'poolSize' | 'logger' | 'clock' | 'random' | 'health' | 'timelineStore'>
  >;
  private readonly newest: NewestTimeline;
  private readonly positions: PositionHistory;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;
  private election: Election<ClusterNode> = { primary: undefined, fenced: [], conflict: false };
  /** The last node that was primary, across spells with none: a failover usually has one. */
  private lastPrimary: ClusterNode | undefined;
  /** Set after the first probe round: mode changes before it are nodes being discovered. */
  private mode: ModeSettler | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly probing = new Map<ClusterNode, Promise<void>>();
  /** Nodes to probe again as soon as their probe in flight is over (see probeReplicasAgain). */
  private readonly probeQueued = new Set<ClusterNode>();
  /** Nodes already reported as belonging to another cluster (said once, not every probe). */
  private readonly foreign = new Set<ClusterNode>();
  /** Nodes already reported as refusing the probe statement. */
  private readonly probeRefused = new Set<ClusterNode>();
  /** Whether the missing pg_monitor grant was reported (once per process: it is one role). */
  private missingGrantReported = false;
  private closed = false;

  private constructor(options: ConnectionManagerOptions) {
    if (options.nodes.length === 0) throw new Error('A connection manager needs at least one node.');
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.newest = new NewestTimeline(options.timelineStore);
    this.settings = {
      probeIntervalMs: options.probeIntervalMs ?? 500,
      probeTimeoutMs: options.probeTimeoutMs ?? 1000,
      connectTimeoutMs: options.connectTimeoutMs ?? 2000,
      maxReplicaLagBytes: options.maxReplicaLagBytes ?? 16 * 1024 * 1024,
      maxReplicaLagSeconds: options.maxReplicaLagSeconds ?? 10,
      fallbackToPrimary: options.fallbackToPrimary ?? true,
      statementTimeoutMs: options.statementTimeoutMs ?? 5000,
      tokenWaitMs: options.tokenWaitMs ?? 500,
      primaryWaitMs: options.primaryWaitMs ?? 300,
      requireSynchronousStandby: options.requireSynchronousStandby ?? false,
      modeHoldMs: options.modeHoldMs ?? 2000,
      probeReconnectMs: options.probeReconnectMs ?? 5000,
    };
    this.statementTimeoutMs = this.settings.statementTimeoutMs;
    this.positions = new PositionHistory(Math.max(60_000, 2_000 * this.settings.maxReplicaLagSeconds));
    const pool = {
      max: options.poolSize,
      connectTimeoutSeconds: this.settings.connectTimeoutMs / 1000,
      health: options.health ?? DEFAULT_HEALTH_POLICY,
    };
    this.nodes = options.nodes.map((endpoint) => new ClusterNode(endpoint, pool, this.clock()));
  }

  /** Connects, probes every node once, then keeps probing in the background. */
  static async start(options: ConnectionManagerOptions): Promise<ConnectionManager> {
    const manager = new ConnectionManager(options);
    await manager.probeAll();
    const discovered = manager.snapshot();
    manager.mode = new ModeSettler(discovered.mode, manager.settings.modeHoldMs);
    manager.logger.info('cluster discovered', {
      mode: discovered.mode,
      why: describeMode(discovered),
      primary: manager.primary?.name ?? null,
      timeline: manager.newest.timeline,
    });
    manager.probeTimer = setInterval(() => void manager.probeDue(), manager.settings.probeIntervalMs);
    manager.probeTimer.unref();
    return manager;
  }

  route(intent: RouteIntent, options: RouteOptions = {}): Route {
    return new Route(this, intent, options);
  }

  /** The elected primary, or undefined (none answering, or a conflict). */
  get primary(): ClusterNode | undefined {
    return this.election.primary;
  }

  /** The primary now; throws PRIMARY_UNAVAILABLE without waiting. */
  choosePrimary(): ClusterNode {
    const primary = this.election.primary;
    if (primary) return primary;
    throw new PrimaryUnavailableError(
      this.election.conflict ? 'two nodes claim to be primary; writes wait until that is resolved' : 'no primary database is reachable',
      1,
    );
  }

  /**
   * The primary, waiting up to `primaryWaitMs` for one when there is none (a promotion may
   * have happened since the last probe round). For writes it must also be durable: with
   * `requireSynchronousStandby`, a primary that no standby confirms commits for takes none,
   * and the write waits for one in the same way (after a failover, a replica is usually
   * about to attach). While it waits it looks again every PRIMARY_RECHECK_MS: at the primary
   * alone once there is one, since a round of every node lasts as long as its slowest probe
   * (a killed node's, up to the probe timeout).
   */
  async awaitPrimary(purpose: 'read' | 'write'): Promise<ClusterNode> {
    const ready = () => this.election.primary !== undefined && (purpose === 'read' || this.takesWrites());
    const deadline = this.clock() + this.settings.primaryWaitMs;
    while (!ready()) {
      const started = this.clock();
      if (started >= deadline) break;
      const primary = this.election.primary;
      const look = primary ? this.probe(primary) : this.probeAll();
      await Promise.race([look, sleep(Math.min(PRIMARY_RECHECK_MS, deadline - started))]);
      const rest = Math.min(started + PRIMARY_RECHECK_MS, deadline) - this.clock();
      if (!ready() && rest > 0) await sleep(rest);
    }
    const primary = this.choosePrimary();
    if (purpose === 'read' || ready()) return primary;
    throw new PrimaryUnavailableError(
      this.durability() === 'unknown'
        ? 'the primary cannot be checked for a synchronous standby (the probing role needs pg_monitor)'
        : "no synchronous standby confirms the primary's commits, so a write could not be kept on two nodes",
      1,
    );
  }

  /** Whether the elected primary may take writes now (it is durable enough, if that is required). */
  private takesWrites(): boolean {
    return this.election.primary !== undefined && (!this.settings.requireSynchronousStandby || this.durability() === 'synchronous');
  }

  /**
   * Whether the primary's commits are confirmed by a standby (`synchronous`), by itself
   * alone (`local-only`), or cannot be told (`unknown`: no primary, or the probing role may
   * not see replication). Writes need `synchronous` when the manager requires it.
   */
  durability(): Durability {
    const standbys = this.election.primary?.lastProbe?.synchronousStandbys;
    if (standbys === undefined) return 'unknown';
    return standbys.length > 0 ? 'synchronous' : 'local-only';
  }

  /**
   * Whether the cluster has been seen to reach `position`: on the newest timeline, at or past
   * it (the primary's position, else the freshest node's, as last probed; probes lag commits
   * a little, so a position just written may not count yet).
   */
  hasReached(position: Position): boolean {
    const newest = this.newest.timeline;
    return position.timeline === newest && position.lsn <= referencePosition(this.nodes, this.election.primary, newest);
  }

  /** The replica lag bound in seconds: no read may be staler. */
  get maxReplicaLagSeconds(): number {
    return this.settings.maxReplicaLagSeconds;
  }

  /** The newest timeline seen so far (0 before any node answered). It never goes down. */
  get newestTimeline(): number {
    return this.newest.timeline;
  }

  /**
   * The PostgreSQL system identifier of the cluster, once a node has answered: what tells
   * this cluster's positions apart from another's (undefined before).
   */
  get systemIdentifier(): string | undefined {
    return this.newest.systemIdentifier;
  }

  async chooseReader(constraints: ReadConstraints = {}): Promise<ReadChoice> {
    const { token } = constraints;
    if (token && token.timeline > this.newest.timeline) {
      // The write is on a timeline this process has not seen: a promotion since the last probe
      // round. Look once more, briefly.
      await Promise.race([this.probeAll(), sleep(this.settings.primaryWaitMs)]);
    }
    if (token && token.timeline !== this.newest.timeline) {
      // The write behind the token was on another timeline; whether it survived the failover
      // cannot be told from here. The freshest view is the primary's.
      return this.fallBack(constraints, 'token-timeline');
    }
    const deadline = this.clock() + this.settings.tokenWaitMs;
    let waited = false;
    for (;;) {
      const candidates = this.readCandidates(constraints);
      const node = chooseReplica(candidates.fit, this.random);
      if (node) {
        this.stats.reads.replica += 1;
        if (waited) this.stats.tokenWaits.succeeded += 1;
        return { node, decision: waited ? 'replica-after-wait' : 'replica' };
      }
      // Waiting helps only while an eligible replica on the token's timeline is replaying
      // towards it; otherwise (none eligible, or all on another timeline) the primary serves now.
      if (!token || !candidates.catchingUp || this.clock() >= deadline) {
        if (waited) this.stats.tokenWaits.timedOut += 1;
        return this.fallBack(constraints, candidates.reason);
      }
      waited = true;
      // Ask the replicas directly rather than waiting for the next probe round.
      await Promise.race([Promise.all(this.replicas().map((replica) => this.probe(replica))), sleep(25)]);
      await sleep(10);
    }
  }

  reportFailure(node: ClusterNode, kind: FailureKind): void {
    if (isNodeFailure(kind)) {
      const wasDown = node.health.state === 'down';
      node.health.connectionFailed(this.clock());
      if (!wasDown) {
        node.resetPool();
        this.logger.warn('database node failed a statement; taken out until it answers a probe', { node: node.name, failure: kind });
      }
      this.refreshElection();
    }
    // The node may have been demoted, or the primary may have moved: look everywhere now.
    this.stats.rediscoveries += 1;
    void this.probeAll();
  }

  countPrimaryRequested(): void {
    this.stats.reads.primaryRequested += 1;
  }

  countRetry(intent: RouteIntent): void {
    this.stats.retries[intent] += 1;
  }

  /** How far behind the primary `node` was at its last probe (0 for the primary itself). */
  lagOf(node: ClusterNode): { lagBytes: number | null; lagSeconds: number | null } {
    if (node.health.state !== 'up' || !node.lastProbe) return { lagBytes: null, lagSeconds: null };
    const lag = this.lagOfNode(node, referencePosition(this.nodes, this.election.primary, this.newest.timeline));
    return { lagBytes: lag.bytes, lagSeconds: Math.round(lag.seconds * 1000) / 1000 };
  }

  /**
   * Every node's role, state and replication position, as last probed. The mode is the one
   * that has held for `modeHoldMs` (see ModeSettler); routing uses the nodes' state directly.
   */
  status(): ClusterStatus {
    const status = this.snapshot();
    return this.mode ? { ...status, mode: this.mode.mode } : status;
  }

  /** The status as of the last probes, with the mode they make now. */
  private snapshot(): ClusterStatus {
    const primary = this.election.primary;
    const newest = this.newest.timeline;
    const reference = referencePosition(this.nodes, primary, newest);
    const bounds = this.bounds();
    let eligible = 0;
    const nodes = this.nodes.map((node): NodeStatus => {
      const reachable = node.health.state === 'up';
      const lag = reachable && node.lastProbe ? this.lagOfNode(node, reference) : null;
      let ineligible: IneligibleReason | null = null;
      if (node.role === 'replica') ineligible = lag ? (replicaIneligibility(node, lag, bounds, newest) ?? null) : 'unhealthy';
      if (node.role === 'replica' && ineligible === null) eligible += 1;
      return {
        name: node.name,
        role: node.role,
        state: node.health.state,
        reachable,
        fenced: this.election.fenced.includes(node),
        timeline: node.lastProbe ? node.timeline : null,
        lsn: node.lastProbe ? formatLsn(node.lsn) : null,
        lagBytes: lag?.bytes ?? null,
        lagSeconds: lag ? Math.round(lag.seconds * 1000) / 1000 : null,
        latencyMs: node.lastProbe ? Math.round(node.latencyMs * 10) / 10 : null,
        inFlight: node.inFlight,
        statements: node.statements,
        ineligible,
        pooled: node.pooled ?? null,
      };
    });
    const readable = nodes.filter((node) => node.reachable && !node.fenced).length;
    return {
      mode: clusterMode(this.takesWrites(), eligible, readable),
      primary: primary?.name ?? null,
      durability: this.durability(),
      synchronousStandbys: primary?.lastProbe?.synchronousStandbys ?? [],
      synchronousRequired: this.settings.requireSynchronousStandby,
      timeline: newest,
      conflict: this.election.conflict,
      nodes,
    };
  }

  /** Probes every node now; concurrent callers share the probes in flight. */
  async probeAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.probe(node)));
  }

  /**
   * Probes every replica again, each once its probe in flight (if any) is over: a probe asked
   * before something was committed cannot show it replayed. Any number of callers share the
   * next probe of each, so this may be called on every commit.
   */
  probeReplicasAgain(): void {
    for (const node of this.replicas()) {
      const inFlight = this.probing.get(node);
      if (!inFlight) void this.probe(node);
      else if (!this.probeQueued.has(node)) {
        this.probeQueued.add(node);
        void inFlight.finally(() => {
          this.probeQueued.delete(node);
          void this.probe(node);
        });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probeTimer);
    await Promise.all(this.nodes.map((node) => node.close()));
  }

  /**
   * The replicas that may serve a read now: eligible (healthy, on the newest timeline, within
   * the lag bounds) and at or past the token and the retry floor. When none is, why not, and
   * whether one is on the way there (eligible, on that timeline, still replaying).
   */
  private readCandidates({ token, floor, exclude }: ReadConstraints): {
    fit: ClusterNode[];
    reason: FallbackReason;
    catchingUp: boolean;
  } {
    const newest = this.newest.timeline;
    const reference = referencePosition(this.nodes, this.election.primary, newest);
    const bounds = this.bounds();
    const reasons = new Set<IneligibleReason>();
    const eligible = this.replicas().filter((node) => {
      if (exclude?.has(node)) return false;
      const reason = replicaIneligibility(node, this.lagOfNode(node, reference), bounds, newest);
      if (reason) reasons.add(reason);
      return reason === undefined;
    });
    // Past a token or a floor, a position is one server's: a pooled endpoint cannot promise it.
    const constrained = token !== undefined || floor !== undefined;
    const reachable = eligible.filter((node) => (!token || reaches(node, token)) && (!floor || reaches(node, floor)));
    const direct = reachable.filter((node) => !node.pooled);
    const fit = direct.length > 0 || constrained ? direct : reachable;
    const behind = eligible.filter((node) => !reachable.includes(node) && !(constrained && node.pooled));
    const catchingUp = behind.some((node) => (!token || node.timeline === token.timeline) && (!floor || node.timeline === floor.timeline));
    const reason: FallbackReason =
      behind.length > 0
        ? 'token-not-replayed'
        : reasons.has('lagging')
          ? 'replicas-lagging'
          : reasons.size > 0
            ? 'replicas-unhealthy'
            : 'no-replica';
    return { fit, reason, catchingUp };
  }

  private fallBack(constraints: ReadConstraints, reason: FallbackReason): ReadChoice {
    const primary = this.election.primary;
    if (primary && !constraints.exclude?.has(primary) && (this.settings.fallbackToPrimary || reason.startsWith('token'))) {
      this.stats.reads.primaryFallback[reason] += 1;
      return { node: primary, decision: 'primary-fallback', reason };
    }
    throw new ServiceUnavailableError(primary ? 'no replica is fit to serve it' : 'no database node is answering', 1);
  }

  private replicas(): ClusterNode[] {
    return this.nodes.filter((node) => node.role === 'replica');
  }

  /** How far behind `reference` a node is, counting how long WAL past it has existed. */
  private lagOfNode(node: ClusterNode, reference: Lsn): { bytes: number; seconds: number } {
    return lagOf(node, reference, this.positions.missingFor(node.timeline, node.lsn, this.clock()) / 1000);
  }

  private bounds() {
    return { maxLagBytes: this.settings.maxReplicaLagBytes, maxLagSeconds: this.settings.maxReplicaLagSeconds };
  }

  private async probeDue(): Promise<void> {
    const now = this.clock();
    await Promise.all(this.nodes.filter((node) => node.health.dueForProbe(now)).map((node) => this.probe(node)));
  }

  private probe(node: ClusterNode): Promise<void> {
    let pending = this.probing.get(node);
    if (!pending) {
      pending = this.probeOnce(node).finally(() => this.probing.delete(node));
      this.probing.set(node, pending);
    }
    return pending;
  }

  private async probeOnce(node: ClusterNode): Promise<void> {
    if (this.closed) return;
    try {
      const fresh = node.probeConnectionFresh;
      const result = await probeNode(node.probeSql, this.settings.probeTimeoutMs);
      node.probeConnectionFresh = false;
      this.reportMissingGrant(result);
      this.observeServer(node, result);
      this.observeTimeline(node, result);
      node.recordProbe(result);
      if (this.clock() - node.probeConnectionSince >= this.settings.probeReconnectMs)
        node.refreshProbeConnection(this.clock(), this.settings.probeTimeoutMs);
      if (node.health.state === 'up') {
        if (!fresh) node.observeLatency(result.latencyMs);
      } else {
        node.forgetLatency();
        this.logger.info('database node answers', { node: node.name, role: result.role, timeline: result.timeline });
      }
      node.health.succeeded(this.clock());
    } catch (error) {
      if (this.closed) return;
      if (error instanceof ProbeTimeoutError) node.resetProbeConnection(this.clock());
      node.endpoint.interrupted();
      const wasDown = node.health.state === 'down';
      node.health.probeFailed(this.clock());
      if (!wasDown && node.health.state === 'down') {
        node.resetPool();
        this.logger.warn('database node stopped answering probes; taken out', { node: node.name });
      }
      this.reportRefusedProbe(node, error);
    }
    this.refreshElection();
  }

  /**
   * A server that answers but refuses the probe statement itself (a function it does not
   * support, as Aurora's readers refuse pg_last_wal_receive_lsn(), or one the role may not
   * call) never serves: said once per node with its SQLSTATE, rather than as a node that
   * stopped answering. The server's message is not logged: it may quote the statement.
   */
  private reportRefusedProbe(node: ClusterNode, error: unknown): void {
    if (this.probeRefused.has(node) || classifyFailure(error) !== 'statement' || !isServerError(error)) return;
    this.probeRefused.add(node);
    this.logger.error('database node refuses the health probe, so it gets no work; see README: Running on your cluster', {
      node: node.name,
      sqlState: error.code,
    });
  }

  private reportMissingGrant(result: ProbeResult): void {
    if (result.readsReplicationStatus || this.missingGrantReported) return;
    this.missingGrantReported = true;
    this.logger.error(
      `the database role may not read replication status: after a failover replicas get no reads until their next restartpoint, and whether a standby confirms commits is unknown; fix: GRANT pg_monitor TO ${quoteIdentifier(result.databaseRole)}`,
    );
  }

  private observeServer(node: ClusterNode, result: ProbeResult): void {
    if (!node.endpoint.observe(result, this.clock())) return;
    this.logger.error(
      'node URL reaches several database servers (a pooled endpoint): it gets no writes and no reads with a consistency token or retry floor, and its lag is only that of the server a probe reached; list each server by its own URL',
      { node: node.name, evidence: node.pooled },
    );
  }

  private observeTimeline(node: ClusterNode, result: ProbeResult): void {
    const observation = this.newest.observe(result.systemIdentifier, result.timeline);
    switch (observation.kind) {
      case 'known':
        return;
      case 'newer':
        this.logger.warn('newer timeline seen: nodes on older ones get no reads and no writes', {
          node: node.name,
          timeline: result.timeline,
          previous: observation.previous,
        });
        return;
      case 'cluster-replaced':
        this.logger.warn('the remembered timeline belongs to a cluster that was re-created; forgotten', {
          node: node.name,
          timeline: result.timeline,
          forgotten: observation.forgotten.timeline,
        });
        return;
      case 'foreign-cluster':
        if (this.foreign.has(node)) return;
        this.foreign.add(node);
        this.logger.error('node belongs to another PostgreSQL cluster than the others (its system identifier differs)', {
          node: node.name,
        });
        return;
      default:
        return observation satisfies never;
    }
  }

  private refreshElection(): void {
    const previous = this.election;
    this.election = electPrimary(this.nodes, this.newest.timeline);
    this.positions.record(this.newest.timeline, referencePosition(this.nodes, this.election.primary, this.newest.timeline), this.clock());
    const { primary, fenced, conflict } = this.election;
    if (primary !== previous.primary) {
      if (primary) {
        const before = this.lastPrimary;
        this.lastPrimary = primary;
        if (!before) this.logger.info('primary found', { node: primary.name, timeline: primary.timeline });
        else if (before === primary) this.logger.warn('primary is back', { node: primary.name, timeline: primary.timeline });
        else {
          this.stats.failovers += 1;
          this.logger.warn('primary moved to another node', { node: primary.name, from: before.name, timeline: primary.timeline });
          before.superseded();
        }
      } else {
        this.logger.error('no primary: writes are refused, reads continue on replicas', { conflict });
      }
    }
    for (const node of fenced) {
      if (!previous.fenced.includes(node)) {
        this.logger.error('node claims to be primary but is fenced from writes', {
          node: node.name,
          timeline: node.timeline,
          reason: conflict ? 'several primaries on the newest timeline' : 'older timeline than the cluster',
        });
        node.superseded();
      }
    }
    if (!this.mode) return;
    const status = this.snapshot();
    const change = this.mode.observe(status.mode, this.clock());
    if (change) this.logger.warn('cluster mode changed', { ...change, why: describeMode(status) });
  }
}

/** Why the cluster is in its mode, for the log line that says it changed. */
function describeMode(status: ClusterStatus): string {
  const replicas = status.nodes.filter((node) => node.role === 'replica');
  const serving = replicas.filter((node) => node.ineligible === null).map((node) => node.name);
  const notServing = replicas
    .filter((node) => node.ineligible !== null)
    .map((node) => `${node.name} ${node.ineligible}`)
    .join(', ');
  const writes = status.primary
    ? status.mode === 'read-only' || status.mode === 'unavailable'
      ? `${status.primary} is primary but takes no writes: durability is ${status.durability}`
      : `${status.primary} takes writes`
    : status.conflict
      ? 'several nodes claim to be primary on the newest timeline'
      : 'no primary answers';
  const reads = serving.length > 0 ? `${serving.join(', ')} serve reads` : 'no replica serves reads';
  return `${writes}; ${reads}${notServing ? ` (${notServing})` : ''}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
