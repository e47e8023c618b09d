import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeFeed, ClusterMode, ConnectionManager, Durability, HealthState, NodeRole } from '../cluster/index.js';
import type { ResponseCache, SharedResponses } from './response-cache/index.js';
import type { BackupHealth } from '../db/backup/index.js';

const MODES: ClusterMode[] = ['normal', 'degraded', 'read-only', 'unavailable'];
const STATES: HealthState[] = ['up', 'suspect', 'down'];
const ROLES: NodeRole[] = ['primary', 'replica', 'unknown'];
const DURABILITIES: Durability[] = ['synchronous', 'local-only', 'unknown'];
/** Operation names are client-chosen: beyond this many distinct ones, they count as "other". */
const MAX_OPERATION_NAMES = 200;

/**
 * The Prometheus metrics of one server (prom-client, a registry of its own so several
 * servers can run in one process). Request and operation metrics are recorded as requests
 * finish; cluster state is read from the connection manager when /metrics is scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'status'>;
  private readonly httpDuration: Histogram<'method'>;
  private readonly operations: Counter<'operation' | 'type' | 'outcome'>;
  private readonly operationDuration: Histogram<'type' | 'outcome'>;
  private readonly fastLane: Counter<'result'>;
  private readonly operationNames = new Set<string>();

  constructor(cluster: ConnectionManager, backups: () => BackupHealth | undefined) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'shopgraph_' });
    this.httpRequests = new Counter({
      name: 'shopgraph_http_requests_total',
      help: 'HTTP requests by method and status code.',
      labelNames: ['method', 'status'],
      registers: [registry],
    });
    this.httpDuration = new Histogram({
      name: 'shopgraph_http_request_duration_seconds',
      help: 'Time to answer an HTTP request.',
      labelNames: ['method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.operations = new Counter({
      name: 'shopgraph_graphql_operations_total',
      help: 'GraphQL operations by name, type (query, mutation) and outcome (ok, or the first error code).',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [registry],
    });
    this.operationDuration = new Histogram({
      name: 'shopgraph_graphql_operation_duration_seconds',
      help: 'Time to answer a GraphQL operation, by type and outcome.',
      labelNames: ['type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.fastLane = new Counter({
      name: 'shopgraph_graphql_fast_lane_total',
      help: 'Compiled reads the fast lane answered (answered), or started and handed to the full path after their statement failed (handed-over).',
      labelNames: ['result'],
      registers: [registry],
    });

    const stats = cluster.stats;
    const collected = <Labels extends string>(
      name: string,
      help: string,
      labelNames: Labels[],
      type: 'counter' | 'gauge',
      read: (set: (labels: Partial<Record<Labels, string>>, value: number) => void) => void,
    ) => {
      const Metric = type === 'counter' ? Counter : Gauge;
      new Metric({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          read((labels, value) =>
            type === 'counter' ? (this as Counter<Labels>).inc(labels, value) : (this as Gauge<Labels>).set(labels, value),
          );
        },
      });
    };
    collected('shopgraph_sql_statements_total', 'SQL statements sent, by node and its role now.', ['node', 'role'], 'counter', (set) => {
      for (const node of cluster.nodes) set({ node: node.name, role: node.role }, node.statements);
    });
    collected(
      'shopgraph_routing_reads_total',
      'Read routes by where they went: a replica, or the primary and why.',
      ['target', 'reason'],
      'counter',
      (set) => {
        set({ target: 'replica', reason: 'eligible' }, stats.reads.replica);
        set({ target: 'primary', reason: 'requested' }, stats.reads.primaryRequested);
        for (const [reason, count] of Object.entries(stats.reads.primaryFallback)) set({ target: 'primary', reason }, count);
      },
    );
    collected(
      'shopgraph_token_waits_total',
      'Reads with a consistency token that waited for a replica, by outcome.',
      ['outcome'],
      'counter',
      (set) => {
        set({ outcome: 'replica_caught_up' }, stats.tokenWaits.succeeded);
        set({ outcome: 'timed_out' }, stats.tokenWaits.timedOut);
      },
    );
    collected('shopgraph_retries_total', 'Statements retried on another node after a connection failure.', ['intent'], 'counter', (set) => {
      set({ intent: 'read' }, stats.retries.read);
      set({ intent: 'write' }, stats.retries.write);
    });
    collected('shopgraph_failovers_total', 'Times the primary moved to another node.', [], 'counter', (set) => set({}, stats.failovers));
    collected('shopgraph_rediscoveries_total', 'Times a failure made every node be probed at once.', [], 'counter', (set) =>
      set({}, stats.rediscoveries),
    );
    collected('shopgraph_node_up', '1 when the node answers probes (circuit closed).', ['node'], 'gauge', (set) => {
      for (const node of cluster.status().nodes) set({ node: node.name }, node.state === 'up' ? 1 : 0);
    });
    collected(
      'shopgraph_node_circuit_state',
      'The circuit state of each node (1 for the current one).',
      ['node', 'state'],
      'gauge',
      (set) => {
        for (const node of cluster.status().nodes)
          for (const state of STATES) set({ node: node.name, state }, node.state === state ? 1 : 0);
      },
    );
    collected('shopgraph_node_role', 'The role of each node as last probed (1 for the current one).', ['node', 'role'], 'gauge', (set) => {
      for (const node of cluster.status().nodes) for (const role of ROLES) set({ node: node.name, role }, node.role === role ? 1 : 0);
    });
    collected('shopgraph_node_fenced', '1 for a node that claims to be primary but is fenced from writes.', ['node'], 'gauge', (set) => {
      for (const node of cluster.status().nodes) set({ node: node.name }, node.fenced ? 1 : 0);
    });
    collected('shopgraph_replica_lag_bytes', 'WAL bytes a replica has yet to replay.', ['node'], 'gauge', (set) => {
      for (const node of cluster.status().nodes)
        if (node.role === 'replica' && node.lagBytes !== null) set({ node: node.name }, node.lagBytes);
    });
    collected('shopgraph_replica_lag_seconds', 'Seconds a replica is behind in replay.', ['node'], 'gauge', (set) => {
      for (const node of cluster.status().nodes)
        if (node.role === 'replica' && node.lagSeconds !== null) set({ node: node.name }, node.lagSeconds);
    });
    collected('shopgraph_cluster_mode', 'How the cluster serves now (1 for the current mode).', ['mode'], 'gauge', (set) => {
      const mode = cluster.status().mode;
      for (const candidate of MODES) set({ mode: candidate }, candidate === mode ? 1 : 0);
    });
    collected(
      'shopgraph_cluster_durability',
      "Whether a standby confirms the primary's commits: synchronous, local-only, or unknown (1 for the current one).",
      ['durability'],
      'gauge',
      (set) => {
        const durability = cluster.durability();
        for (const candidate of DURABILITIES) set({ durability: candidate }, candidate === durability ? 1 : 0);
      },
    );
    collected('shopgraph_primary_synchronous_standbys', "Standbys that confirm the primary's commits now.", [], 'gauge', (set) =>
      set({}, cluster.status().synchronousStandbys.length),
    );
    collected('shopgraph_cluster_timeline', 'The newest WAL timeline seen; it grows by one at each promotion.', [], 'gauge', (set) =>
      set({}, cluster.newestTimeline),
    );
    collected(
      'shopgraph_backup_last_success_timestamp_seconds',
      'When the last scheduled backup succeeded (absent before the first).',
      [],
      'gauge',
      (set) => {
        const at = backups()?.lastSucceededAt;
        if (at) set({}, at.getTime() / 1000);
      },
    );
    collected(
      'shopgraph_backup_last_outcome',
      'Outcome of the last scheduled backup (1 for the current one).',
      ['outcome'],
      'gauge',
      (set) => {
        const health = backups();
        if (!health) return;
        for (const outcome of ['none', 'succeeded', 'failed'] as const) set({ outcome }, health.lastOutcome === outcome ? 1 : 0);
      },
    );
    collected('shopgraph_backup_last_duration_seconds', 'How long the last scheduled backup took.', [], 'gauge', (set) => {
      const seconds = backups()?.lastDurationSeconds;
      if (seconds != null) set({}, seconds);
    });
  }

  recordHttpRequest(method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, status: String(status) });
    this.httpDuration.observe({ method }, seconds);
  }

  recordOperation(name: string | undefined, type: string, outcome: string, seconds: number): void {
    this.operations.inc({ operation: this.boundedName(name), type, outcome });
    this.operationDuration.observe({ type, outcome }, seconds);
  }

  /** Reports the server's response cache, its change feed and its level in Redis when /metrics is scraped. */
  watchResponseCache(cache: ResponseCache, feed: ChangeFeed | undefined, shared?: SharedResponses): void {
    const registers = [this.registry];
    const { counts } = cache;
    new Counter({
      name: 'shopgraph_response_cache_lookups_total',
      help: 'Reads the response cache was asked for, by result (hit or miss).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, counts.hits);
        this.inc({ result: 'miss' }, counts.misses);
      },
    });
    new Counter({
      name: 'shopgraph_response_cache_joined_total',
      help: 'Misses answered by a read of the same key already in flight (no read of their own); counted among the misses too.',
      registers,
      collect() {
        this.reset();
        this.inc(counts.joined);
      },
    });
    new Counter({
      name: 'shopgraph_response_cache_revalidations_total',
      help: 'Entries past their age that the change feed proved unchanged, kept as of its position (counted among the hits when they answer).',
      registers,
      collect() {
        this.reset();
        this.inc(counts.revalidated);
      },
    });
    new Counter({
      name: 'shopgraph_response_cache_fills_total',
      help: 'Answers offered to the response cache, by result: stored, or refused (not provable fresh, expired already, too large).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'stored' }, counts.stored);
        this.inc({ result: 'refused' }, counts.refused);
      },
    });
    new Counter({
      name: 'shopgraph_response_cache_evictions_total',
      help: 'Entries that left the response cache, by cause: change (the WAL), expired, timeline, resync (the change feed restarted), capacity.',
      labelNames: ['cause'],
      registers,
      collect() {
        this.reset();
        for (const [cause, count] of Object.entries(counts.evictions)) this.inc({ cause }, count);
      },
    });
    new Gauge({
      name: 'shopgraph_response_cache_bytes',
      help: 'Bytes the response cache holds, as estimated, and its bound (bound="max").',
      labelNames: ['bound'],
      registers,
      collect() {
        this.set({ bound: 'used' }, cache.bytes);
        this.set({ bound: 'max' }, cache.maxBytes);
      },
    });
    new Gauge({
      name: 'shopgraph_response_cache_invalidation',
      help: 'How cached responses are kept fresh (1 for the current way): wal (the change feed), ages-only (no logical decoding), resyncing.',
      labelNames: ['mode'],
      registers,
      collect() {
        for (const mode of ['wal', 'ages-only', 'resyncing'] as const) this.set({ mode }, cache.invalidation === mode ? 1 : 0);
      },
    });
    new Gauge({
      name: 'shopgraph_response_cache_feed_lag_seconds',
      help: "How far the change feed is behind the primary's WAL: 0 while it holds all the primary had flushed at its last probe, else how long ago it last did (absent while it is not following).",
      registers,
      collect() {
        this.reset();
        const lag = feed?.lagMs;
        if (lag !== undefined) this.set(lag / 1000);
      },
    });
    new Gauge({
      name: 'shopgraph_response_cache_invalidation_ms',
      help: 'Time from a commit to the eviction of the entries it touched, in ms, over the latest evictions (quantile 0.5 and 0.99).',
      labelNames: ['quantile'],
      registers,
      collect() {
        this.reset();
        const times = [...cache.invalidationTimes()].sort((a, b) => a - b);
        if (times.length === 0) return;
        for (const quantile of [0.5, 0.99])
          this.set({ quantile: String(quantile) }, times[Math.min(times.length - 1, Math.floor(quantile * times.length))]!);
      },
    });
    if (shared) this.watchSharedResponses(shared);
  }

  private watchSharedResponses(shared: SharedResponses): void {
    const registers = [this.registry];
    const { counts } = shared;
    const counter = <Label extends string>(name: string, help: string, label: Label, read: () => Record<string, number>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [value, count] of Object.entries(read())) this.inc({ [label]: value } as Record<Label, string>, count);
        },
      });
    counter(
      'shopgraph_response_cache_shared_lookups_total',
      'Misses of the in-process response cache asked of Redis, by result: hit, miss, refused (not provably fresh here, or not for this request), unavailable (Redis did not answer).',
      'result',
      () => counts.lookups,
    );
    counter(
      'shopgraph_response_cache_shared_writes_total',
      'Fills shared through Redis, by result: stored, kept (Redis had a read as recent already), too-large (not shared).',
      'result',
      () => counts.writes,
    );
    counter(
      'shopgraph_response_cache_shared_evictions_total',
      "Entries removed from Redis, by cause: change (this instance's change feed), stale (a read found them older than a change heard).",
      'cause',
      () => counts.evictions,
    );
    counter(
      'shopgraph_response_cache_shared_errors_total',
      'Redis commands of the shared response cache that failed or had no answer in time, by command: read, write, evict.',
      'command',
      () => counts.errors,
    );
    new Gauge({
      name: 'shopgraph_response_cache_shared_up',
      help: 'Whether Redis answered the last command of the shared response cache (1) or not (0).',
      registers,
      collect() {
        this.set(shared.available ? 1 : 0);
      },
    });
  }

  /** Reports each cache's bytes and bound when /metrics is scraped. */
  watchCaches(caches: readonly { name: string; bytes: number; maxBytes: number; size: number }[]): void {
    const gauge = (name: string, help: string, read: (cache: (typeof caches)[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['cache'],
        registers: [this.registry],
        collect() {
          for (const cache of caches) this.set({ cache: cache.name }, read(cache));
        },
      });
    gauge('shopgraph_cache_bytes', 'Bytes each cache of queries, statements and plans holds, as estimated.', (cache) => cache.bytes);
    gauge('shopgraph_cache_max_bytes', 'The byte bound of each cache.', (cache) => cache.maxBytes);
    gauge('shopgraph_cache_entries', 'Entries each cache holds.', (cache) => cache.size);
  }

  recordFastLane(result: 'answered' | 'handed-over'): void {
    this.fastLane.inc({ result });
  }

  private boundedName(name: string | undefined): string {
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'anonymous';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }
}
