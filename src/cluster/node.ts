import postgres, { type Sql } from 'postgres';
import type { ProbeResult } from './probe.js';

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
}

/**
 * One PostgreSQL server of the cluster: a pool for statements, a separate single connection
 * for health probes (so a busy pool never delays a probe), and what the probes last learnt.
 */
export class ClusterNode {
  readonly name: string;
  private readonly url: string;
  /** The statement pool. */
  readonly sql: Sql;
  /** A single connection used only by probes. */
  readonly probeSql: Sql;
  role: NodeRole = 'unknown';
  /** The last successful probe, if any. */
  lastProbe: ProbeResult | undefined;
  /** Statements sent through this node's pool since start (see `countStatement`). */
  statements = 0;

  constructor(endpoint: NodeEndpoint, pool: PoolOptions) {
    this.name = endpoint.name;
    this.url = endpoint.url;
    const common = {
      connect_timeout: pool.connectTimeoutSeconds,
      onnotice: () => {},
      connection: { application_name: 'shopgraph' },
    };
    this.sql = postgres(endpoint.url, { ...common, max: pool.max, idle_timeout: 60 });
    this.probeSql = postgres(endpoint.url, { ...common, max: 1, idle_timeout: 0 });
  }

  /** Called by the data layer for every statement it sends here (SQL per request, metrics). */
  countStatement(): void {
    this.statements += 1;
  }

  /**
   * A client of its own with one connection, for work that needs one session throughout
   * (migrations under an advisory lock, bulk loads with COPY). The caller ends it.
   */
  openSession(): Sql {
    return postgres(this.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 5 }), this.probeSql.end({ timeout: 1 })]);
  }
}
