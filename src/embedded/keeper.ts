import type { EmbeddedCluster } from './cluster.js';
import { timelineOfDataDir, timelineSwitchPoints } from './data-dir.js';
import { NodeWatcher } from './node-view.js';

export interface ClusterKeeperOptions {
  /** Time between two looks at the cluster, in ms (default 100): a promotion by hand is followed this soon. */
  intervalMs?: number;
  /** How long a replica pointed at the primary may take to stream before it is copied anew (default 10 s). */
  followGraceMs?: number;
  /** Told about a look that failed (the next one tries again). */
  onError?: (error: unknown) => void;
}

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
  private readonly watcher = new NodeWatcher();
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
    this.intervalMs = options.intervalMs ?? 100;
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
    await this.watcher.close();
  }

  /** One look at the cluster, and whatever it takes to put right what it finds. */
  async look(): Promise<void> {
    const nodes = this.cluster.nodes;
    const onDisk = await Promise.all(nodes.map((node) => timelineOfDataDir(node.dataDir)));
    // A replica without a running WAL receiver reports its last restartpoint's timeline, which
    // can be timelines behind; its WAL files say which timeline it has.
    const views = (await Promise.all(nodes.map((node) => this.watcher.view(node))))
      .map((view, index) => view && (view.inRecovery ? { ...view, timeline: Math.max(view.timeline, onDisk[index]!) } : view))
      .filter((view) => view !== undefined);
    const newest = Math.max(...onDisk, ...views.map((view) => view.timeline));
    const primary = views.find((view) => !view.inRecovery && view.timeline === newest);
    if (!primary) return;
    if (this.cluster.primaryName !== primary.name && (await this.cluster.findPrimary()) !== primary.name) return;

    const now = Date.now();
    const primaryNode = this.cluster.node(primary.name);
    const forks = await timelineSwitchPoints(primaryNode.dataDir, primary.timeline);
    // Cheap changes first: a replica that can follow is pointed at the primary at once, so a
    // synchronous standby is back (and writes with it) before any node is copied anew, which
    // takes seconds.
    const rebuilds: { name: string; reason: string }[] = [];
    for (const view of views) {
      if (view.name === primary.name) continue;
      if (!view.inRecovery) {
        rebuilds.push({ name: view.name, reason: `runs as a primary on timeline ${view.timeline}, which timeline ${newest} superseded` });
        continue;
      }
      if (view.upstreamPort === primaryNode.port) {
        this.pointedAt.delete(view.name);
        continue;
      }
      // A replica with WAL of an older timeline past the point where the primary's history
      // left it (it followed the old primary for longer) can never follow.
      const fork = view.timeline < primary.timeline ? forks.get(view.timeline) : undefined;
      if (fork !== undefined && view.position > fork) {
        rebuilds.push({
          name: view.name,
          reason: `has WAL of timeline ${view.timeline} past where timeline ${primary.timeline} forked off`,
        });
        continue;
      }
      const since = this.pointedAt.get(view.name);
      if (since === undefined) {
        await this.cluster.follow(view.name);
        this.pointedAt.set(view.name, now);
      } else if (now - since > this.followGraceMs) {
        rebuilds.push({
          name: view.name,
          reason: `does not stream from ${primary.name} ${this.followGraceMs / 1000} s after it was pointed there`,
        });
      }
    }
    // After the replicas were pointed at it (each gets its slot there first): a replica's WAL
    // receiver then starts while the primary is being configured.
    const key = `${primary.name}@${primary.timeline}`;
    if (this.configured?.key !== key || now - this.configured.at > RECHECK_PRIMARY_MS) {
      await this.cluster.configurePrimary();
      this.configured = { key, at: now };
    }
    // A copy starts with a checkpoint on the primary and then reads all of it: while no standby
    // confirms the primary's commits yet (writes wait for one) but a replica follows it or was
    // just pointed at it, a copy would only slow that replica down. Copies wait for it.
    const following = views.some((view) => view.inRecovery && view.upstreamPort === primaryNode.port);
    const pointed = [...this.pointedAt.values()].some((since) => now - since <= this.followGraceMs);
    if (primary.awaitingStandby && (following || pointed)) return;
    for (const { name, reason } of rebuilds) {
      if (this.stopped) return;
      await this.cluster.rebuildAsReplica(name, reason);
      this.pointedAt.delete(name);
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
}
