import { PrimaryUnavailableError } from '../errors.js';
import { ClusterNode, type NodeEndpoint, type NodeRole } from './node.js';
import { probeNode } from './probe.js';
import { Route, type NodeChooser, type RouteIntent } from './route.js';

export interface NodeStatus {
  name: string;
  role: NodeRole;
  reachable: boolean;
  /** WAL bytes the node has yet to replay to match the primary; null when unknown. */
  lagBytes: number | null;
  /** Seconds its replay is behind the primary's commits; null when unknown. */
  lagSeconds: number | null;
  latencyMs: number | null;
}

export interface ConnectionManagerOptions {
  nodes: NodeEndpoint[];
  /** Connections per node. */
  poolSize: number;
  /** How often every node's role is checked again, in ms (default 500). */
  probeIntervalMs?: number;
  /** How long one probe may take, in ms (default 2000). */
  probeTimeoutMs?: number;
}

/**
 * Knows every node of the cluster and which one is primary, and hands out routes: reads to
 * a replica (round robin), writes to the primary. Roles are discovered with
 * `pg_is_in_recovery()` on every node, never taken from the configured order.
 */
export class ConnectionManager implements NodeChooser {
  readonly nodes: readonly ClusterNode[];
  private nextReader = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly probeTimeoutMs: number;

  private constructor(options: ConnectionManagerOptions) {
    if (options.nodes.length === 0) throw new Error('A connection manager needs at least one node.');
    this.nodes = options.nodes.map((endpoint) => new ClusterNode(endpoint, { max: options.poolSize, connectTimeoutSeconds: 5 }));
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  }

  /** Connects, learns every node's role once, then keeps checking in the background. */
  static async start(options: ConnectionManagerOptions): Promise<ConnectionManager> {
    const manager = new ConnectionManager(options);
    await manager.refreshRoles();
    const interval = options.probeIntervalMs ?? 500;
    manager.probeTimer = setInterval(() => void manager.refreshRoles(), interval);
    manager.probeTimer.unref();
    return manager;
  }

  route(intent: RouteIntent): Route {
    return new Route(this, intent);
  }

  chooseReader(): ClusterNode {
    const replicas = this.nodes.filter((node) => node.role === 'replica');
    if (replicas.length === 0) return this.choosePrimary();
    const node = replicas[this.nextReader % replicas.length]!;
    this.nextReader = (this.nextReader + 1) % replicas.length;
    return node;
  }

  choosePrimary(): ClusterNode {
    const primary = this.nodes.find((node) => node.role === 'primary');
    if (!primary) throw new PrimaryUnavailableError('no primary database is reachable', 1);
    return primary;
  }

  /** Probes every node, in parallel; a node that does not answer becomes `unknown`. */
  async refreshRoles(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        try {
          node.lastProbe = await probeNode(node.probeSql, this.probeTimeoutMs);
          node.role = node.lastProbe.role;
        } catch {
          node.role = 'unknown';
        }
      }),
    );
  }

  /** Every node's role and replication state, as last probed. */
  status(): NodeStatus[] {
    const primary = this.nodes.find((node) => node.role === 'primary');
    return this.nodes.map((node) => {
      const probe = node.lastProbe;
      const reachable = node.role !== 'unknown';
      const lagBytes =
        reachable && node.role === 'replica' && primary?.lastProbe && probe ? Number(maxLsn(primary.lastProbe.lsn - probe.lsn)) : null;
      return {
        name: node.name,
        role: node.role,
        reachable,
        lagBytes: node.role === 'primary' ? 0 : lagBytes,
        lagSeconds: node.role === 'primary' ? 0 : reachable ? (probe?.replayDelaySeconds ?? 0) : null,
        latencyMs: reachable && probe ? Math.round(probe.latencyMs * 10) / 10 : null,
      };
    });
  }

  async close(): Promise<void> {
    clearInterval(this.probeTimer);
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

/** A replica may report a position past the primary's last probe; that is no lag. */
function maxLsn(difference: bigint): bigint {
  return difference > 0n ? difference : 0n;
}
