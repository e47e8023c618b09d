import postgres, { type Sql } from 'postgres';
import type { EmbeddedCluster, EmbeddedNode } from './cluster.js';
import { timelineOfDataDir } from './data-dir.js';

/** What one node answers about itself; undefined for a node that does not answer. */
interface NodeView {
  name: string;
  inRecovery: boolean;
  timeline: number;
  /** The port a replica streams from now, if it streams. */
  upstreamPort: number | null;
}

export interface ClusterKeeperOptions {
  /** Time between two looks at the cluster, in ms (default 250). */
  intervalMs?: number;
  /** How long a replica pointed at the primary may take to stream before it is copied anew (default 10 s). */
  followGraceMs?: number;
  /** Told about a look that failed (the next one tries again). */
  onError?: (error: unknown) => void;
}

/** A node that does not answer this fast counts as not answering (paused, cut off, busy starting). */
const ANSWER_TIMEOUT_MS = 1000;
/** How often the primary's slots and synchronous setting are checked again when nothing changed. */
const RECHECK_PRIMARY_MS = 10_000;

/**
 * Keeps an embedded cluster behind its newest primary while ShopGraph serves it, as an HA
 * manager (Patroni, say) does for a cluster of its own, short of failing over by itself:
 * - a promotion done by hand (pg_ctl promote) is noticed and recorded in cluster.json;
 * - the primary gets a replication slot for every other node and the synchronous standby
 *   setting, so commits wait for a standby again after any failover;
 * - a replica that still follows another node (the old primary) is pointed at the primary,
 *   and one that cannot follow it (its history diverged) is copied anew;
 * - an old primary started again on its superseded timeline is rebuilt as a replica.
 * It never promotes a node and never starts a stopped one: those are an operator's calls.
 */
export class ClusterKeeper {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private stopped = false;
  private readonly clients = new Map<string, Sql>();
  /** Replicas pointed at the primary, and when, until they stream from it. */
  private readonly pointedAt = new Map<string, number>();
  /** The primary (name and timeline) whose slots and setting were last put right, and when. */
  private configured: { key: string; at: number } | undefined;
  private readonly intervalMs: number;
  private readonly followGraceMs: number;
  private readonly onError: (error: unknown) => void;

  private constructor(
    private readonly cluster: EmbeddedCluster,
    options: ClusterKeeperOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.followGraceMs = options.followGraceMs ?? 10_000;
    this.onError = options.onError ?? (() => {});
  }

  static start(cluster: EmbeddedCluster, options: ClusterKeeperOptions = {}): ClusterKeeper {
    const keeper = new ClusterKeeper(cluster, options);
    keeper.schedule();
    return keeper;
  }

  /** Stops looking, waits for a look in progress to finish, and closes its connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.looking;
    await Promise.all([...this.clients.values()].map((sql) => sql.end({ timeout: 1 }).catch(() => {})));
    this.clients.clear();
  }

  /** One look at the cluster, and whatever it takes to put right what it finds. */
  async look(): Promise<void> {
    const nodes = this.cluster.nodes;
    const views = (await Promise.all(nodes.map((node) => this.view(node)))).filter((view) => view !== undefined);
    const onDisk = await Promise.all(nodes.map((node) => timelineOfDataDir(node.dataDir)));
    const newest = Math.max(...onDisk, ...views.map((view) => view.timeline));
    const primary = views.find((view) => !view.inRecovery && view.timeline === newest);
    if (!primary) return;
    if (this.cluster.primaryName !== primary.name && (await this.cluster.findPrimary()) !== primary.name) return;

    const key = `${primary.name}@${primary.timeline}`;
    const now = Date.now();
    if (this.configured?.key !== key || now - this.configured.at > RECHECK_PRIMARY_MS) {
      await this.cluster.configurePrimary();
      this.configured = { key, at: now };
    }
    const primaryPort = this.cluster.node(primary.name).port;
    for (const view of views) {
      if (view.name === primary.name || this.stopped) continue;
      if (!view.inRecovery) {
        await this.cluster.rebuildAsReplica(
          view.name,
          `runs as a primary on timeline ${view.timeline}, which timeline ${newest} superseded`,
        );
        this.pointedAt.delete(view.name);
        continue;
      }
      if (view.upstreamPort === primaryPort) {
        this.pointedAt.delete(view.name);
        continue;
      }
      const since = this.pointedAt.get(view.name);
      if (since === undefined) {
        await this.cluster.follow(view.name);
        this.pointedAt.set(view.name, now);
      } else if (now - since > this.followGraceMs) {
        await this.cluster.rebuildAsReplica(view.name, `does not stream from ${primary.name} (its WAL history has diverged)`);
        this.pointedAt.delete(view.name);
      }
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.looking = this.look()
        .catch((error: unknown) => this.onError(error))
        .finally(() => {
          this.looking = undefined;
          if (!this.stopped) this.schedule();
        });
    }, this.intervalMs);
  }

  private async view(node: EmbeddedNode): Promise<NodeView | undefined> {
    let sql = this.clients.get(node.name);
    if (!sql) {
      sql = postgres(node.url, { max: 1, connect_timeout: 1, idle_timeout: 30, onnotice: () => {} });
      this.clients.set(node.name, sql);
    }
    const query = sql<{ inRecovery: boolean; timeline: number; upstreamPort: number | null }[]>`
      select
        pg_is_in_recovery() as "inRecovery",
        case when pg_is_in_recovery()
          then coalesce((select received_tli from pg_stat_wal_receiver), (select timeline_id from pg_control_checkpoint()))
          else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
        end as timeline,
        (select sender_port from pg_stat_wal_receiver where status = 'streaming') as "upstreamPort"`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        query.cancel();
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
    });
    try {
      const rows = await Promise.race([query, timeout]);
      if (!rows) {
        // A connection that stopped answering may be dead for good (a node that was killed).
        this.clients.delete(node.name);
        void sql.end({ timeout: 0 }).catch(() => {});
        return undefined;
      }
      const [row] = rows;
      return row && { name: node.name, ...row };
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
