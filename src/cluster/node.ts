import type { Sql } from 'postgres';
import { DEFAULT_HEALTH_POLICY, NodeHealth, type HealthPolicy, type HealthState } from './health.js';
import type { Lsn } from './lsn.js';
import type { NodeState } from './policy.js';
import type { ProbeResult } from './probe.js';
import { PooledEndpointDetector } from './pooled-endpoint.js';
import { connectNode, connectReplication } from './session.js';

export type NodeRole = 'primary' | 'replica' | 'unknown';

/** A node as configured: a stable name (used in logs and status) and its connection URL. */
export interface NodeEndpoint {
  name: string;
  url: string;
}

export interface PoolOptions {
  /** Connections in the node's statement pool. */
  max: number;
  /** Seconds to wait for a TCP connection and the server's greeting. */
  connectTimeoutSeconds: number;
  health?: HealthPolicy;
}

/** Weight of the newest sample in the smoothed latency. */
const LATENCY_SMOOTHING = 0.2;
/** The smoothed latency a node starts from, before its probes have measured it. */
const INITIAL_LATENCY_MS = 1;

/**
 * One PostgreSQL server of the cluster: a pool for statements, a separate connection for
 * health probes (so a busy pool never delays a probe), and what this process knows of it:
 * its role and position from the last probe, its circuit, its load and latency.
 */
export class ClusterNode implements NodeState {
  readonly name: string;
  readonly health: NodeHealth;
  role: NodeRole = 'unknown';
  /** The last successful probe, if any. */
  lastProbe: ProbeResult | undefined;
  /** Statements sent through this node's pool since start. */
  statements = 0;
  inFlight = 0;
  latencyMs = INITIAL_LATENCY_MS;
  /** Whether the URL reaches one server or several, from what the probes saw. */
  readonly endpoint = new PooledEndpointDetector();
  /** When the probe connection was opened; it is reopened now and then (see ConnectionManager). */
  probeConnectionSince: number;
  /** Whether no probe ran on the probe connection yet: its first one also measures the connection set-up. */
  probeConnectionFresh = true;
  private readonly url: string;
  private pool: Sql;
  private probeClient: Sql;
  private readonly supersededListeners = new Set<() => void>();
  /** A probe connection being opened to replace the one in use (see refreshProbeConnection). */
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(
    endpoint: NodeEndpoint,
    private readonly options: PoolOptions,
    now: number,
  ) {
    this.name = endpoint.name;
    this.url = endpoint.url;
    this.health = new NodeHealth(options.health ?? DEFAULT_HEALTH_POLICY, now);
    this.pool = this.connect(options.max);
    this.probeClient = this.connect(1);
    this.probeConnectionSince = now;
  }

  get pooled(): string | undefined {
    return this.endpoint.pooled;
  }

  /** The statement pool. It is replaced when the node goes down, so use it per statement. */
  get sql(): Sql {
    return this.pool;
  }

  get probeSql(): Sql {
    return this.probeClient;
  }

  get timeline(): number {
    return this.lastProbe?.timeline ?? 0;
  }

  get lsn(): Lsn {
    return this.lastProbe?.lsn ?? 0n;
  }

  get replayDelaySeconds(): number | null {
    return this.lastProbe?.replayDelaySeconds ?? null;
  }

  get state(): HealthState {
    return this.health.state;
  }

  /**
   * Takes a probe's answer. A replica's timeline comes from its WAL receiver, or from its last
   * restartpoint while the receiver restarts (a replica pointed at a new primary), which can be
   * timelines behind: while the node keeps answering as a replica, its timeline never goes back.
   */
  recordProbe(result: ProbeResult): void {
    const previous = this.lastProbe;
    const answeringReplica = previous?.role === 'replica' && result.role === 'replica' && this.health.state === 'up';
    this.lastProbe = answeringReplica && previous.timeline > result.timeline ? { ...result, timeline: previous.timeline } : result;
    this.role = result.role;
  }

  /**
   * Calls `listener` once when this node stops being the primary the writes go to (another
   * node was elected on a newer timeline, or this one was fenced). Returns the unsubscribe.
   */
  onSuperseded(listener: () => void): () => void {
    this.supersededListeners.add(listener);
    return () => this.supersededListeners.delete(listener);
  }

  /** Tells the writes running here that they run on a superseded primary. */
  superseded(): void {
    const listeners = [...this.supersededListeners];
    this.supersededListeners.clear();
    for (const listener of listeners) listener();
  }

  /** Called by the data layer for every statement it sends here (SQL per request, metrics). */
  countStatement(): void {
    this.statements += 1;
  }

  observeLatency(ms: number): void {
    this.latencyMs += LATENCY_SMOOTHING * (ms - this.latencyMs);
  }

  /**
   * Forgets the measured latency. The first probe after failed ones opens a new connection,
   * so it measures the connection set-up, not the node: counting it would keep a replica that
   * just came back out of the replica choice until the average has decayed.
   */
  forgetLatency(): void {
    this.latencyMs = INITIAL_LATENCY_MS;
  }

  /**
   * Drops every pooled connection at once. Used when the node goes down: its sockets may be
   * dead without knowing it (a black-holed link), and statements queued on them would wait
   * for TCP timeouts. New connections are made on next use.
   */
  resetPool(): void {
    const old = this.pool;
    this.pool = this.connect(this.options.max);
    void old.end({ timeout: 0 }).catch(() => {});
  }

  /** Replaces the probe connection after a probe timed out on it: the old one is closed at once. */
  resetProbeConnection(now: number): void {
    this.swapProbeClient(this.connect(1), now, 0);
    this.probeConnectionFresh = true;
  }

  /**
   * Opens a new probe connection beside the one in use, to look behind the URL again (a load
   * balancer sends a new connection to another server), and swaps it in once it is open. The
   * probes meanwhile go on over the old one, so a slow connection set-up on a busy server
   * never costs a probe; one that fails leaves the old connection in use. The old one is closed
   * once the probes on it are over, within `drainMs` (their timeout): several callers may be
   * probing at once (a write waiting for the primary looks every 25 ms), and a probe cut off by
   * the swap would count as the node failing it.
   */
  refreshProbeConnection(now: number, drainMs: number): void {
    if (this.refreshing || this.closed) return;
    this.probeConnectionSince = now;
    const next = this.connect(1);
    this.refreshing = next`select 1`
      .then(
        () => this.swapProbeClient(next, now, drainMs),
        () => void next.end({ timeout: 0 }).catch(() => {}),
      )
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  private swapProbeClient(next: Sql, now: number, drainMs: number): void {
    if (this.closed) {
      void next.end({ timeout: 0 }).catch(() => {});
      return;
    }
    const old = this.probeClient;
    this.probeClient = next;
    this.probeConnectionSince = now;
    void old.end({ timeout: drainMs / 1000 }).catch(() => {});
  }

  /**
   * A client of its own with one connection, for work that needs one session throughout
   * (migrations under an advisory lock, bulk loads with COPY). The caller ends it.
   */
  openSession(): Sql {
    return connectNode(this.url, { max: 1, connect_timeout: 10 });
  }

  /** A walsender connection of its own, for a logical replication stream. The caller ends it. */
  openReplicationSession(): Sql {
    return connectReplication(this.url);
  }

  async close(): Promise<void> {
    // A probe connection still being opened is ended when it is (see swapProbeClient).
    this.closed = true;
    await Promise.all([this.pool.end({ timeout: 5 }), this.probeClient.end({ timeout: 1 })]);
  }

  private connect(max: number): Sql {
    return connectNode(this.url, {
      max,
      connect_timeout: this.options.connectTimeoutSeconds,
      idle_timeout: 60,
      connection: { application_name: 'shopgraph' },
    });
  }
}
