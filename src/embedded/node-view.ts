import type { Sql } from 'postgres';
import { connectNode, parseLsn, type Lsn } from '../cluster/index.js';
import type { EmbeddedNode } from './cluster.js';

/** What one node answers about itself. */
export interface NodeView {
  name: string;
  inRecovery: boolean;
  /** The timeline it is on (a replica: the one it receives, or its last restartpoint's). */
  timeline: number;
  /** The port a replica streams from now, if it streams. */
  upstreamPort: number | null;
  /** How far it has WAL: a primary's insert position, a replica's received or replayed one. */
  position: Lsn;
  /**
   * A primary: whether its commits wait for a synchronous standby and none confirms them now,
   * so writes are held up (false for a replica, or a primary that commits alone by design).
   */
  awaitingStandby: boolean;
}

/**
 * Asks the nodes of an embedded cluster what they are, straight (never through a proxy), with
 * one connection per node kept between looks. A node that does not answer within the time
 * limit (paused, cut off, starting) has no view, and its connection is dropped: it may be
 * dead for good (a node that was killed).
 */
export class NodeWatcher {
  private readonly clients = new Map<string, Sql>();
  /** Views still being asked for, so a node that answers slowly is asked once at a time. */
  private readonly asking = new Map<string, Promise<NodeView | undefined>>();
  /** Nodes whose last view failed. */
  private readonly unanswered = new Set<string>();

  /**
   * `timeoutMs`: how long a view may take before the node counts as not answering (its
   * connection is dropped). `patienceMs`: how long a caller waits for the view of a node that
   * did not answer last time; the question goes on behind it, so a node that was killed holds
   * up no look at the others (a look that waited a second for it noticed a promotion a second
   * late; with 200 ms, still a fifth of a second), and a node that is only paused is not asked
   * again and again. One that answers again is seen by the next look.
   */
  constructor(
    private readonly timeoutMs = 1000,
    private readonly patienceMs = 20,
  ) {}

  async view(node: EmbeddedNode): Promise<NodeView | undefined> {
    let asking = this.asking.get(node.name);
    if (!asking) {
      asking = this.ask(node).then((view) => {
        if (view) this.unanswered.delete(node.name);
        else this.unanswered.add(node.name);
        return view;
      });
      this.asking.set(node.name, asking);
      void asking.finally(() => this.asking.delete(node.name));
    }
    if (!this.unanswered.has(node.name)) return asking;
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.patienceMs);
    });
    try {
      return await Promise.race([asking, patience]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async ask(node: EmbeddedNode): Promise<NodeView | undefined> {
    let sql = this.clients.get(node.name);
    if (!sql) {
      sql = connectNode(node.url, { max: 1, connect_timeout: Math.ceil(this.timeoutMs / 1000), idle_timeout: 30 });
      this.clients.set(node.name, sql);
    }
    const query = sql<{ inRecovery: boolean; timeline: number; upstreamPort: number | null; position: string; awaitingStandby: boolean }[]>`
      select
        pg_is_in_recovery() as "inRecovery",
        case when pg_is_in_recovery()
          then coalesce((select received_tli from pg_stat_wal_receiver), (select timeline_id from pg_control_checkpoint()))
          else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
        end as timeline,
        (select sender_port from pg_stat_wal_receiver where status = 'streaming') as "upstreamPort",
        (case when pg_is_in_recovery()
          then greatest(coalesce(pg_last_wal_receive_lsn(), '0/0'), coalesce(pg_last_wal_replay_lsn(), '0/0'))
          else pg_current_wal_lsn() end)::text as position,
        not pg_is_in_recovery() and current_setting('synchronous_standby_names') <> ''
          and not exists (select 1 from pg_stat_replication where state = 'streaming' and sync_state in ('sync', 'quorum'))
          as "awaitingStandby"`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        Promise.resolve(query.cancel()).catch(() => {});
        resolve(undefined);
      }, this.timeoutMs);
    });
    try {
      const rows = await Promise.race([query, timeout]);
      if (!rows) {
        this.clients.delete(node.name);
        void sql.end({ timeout: 0 }).catch(() => {});
        return undefined;
      }
      const [row] = rows;
      return row && { name: node.name, ...row, position: parseLsn(row.position) };
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((sql) => sql.end({ timeout: 1 }).catch(() => {})));
    this.clients.clear();
  }
}
