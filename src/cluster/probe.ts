import type { Sql } from 'postgres';
import { parseLsn, type Lsn } from './lsn.js';

/** What one health probe learns about a node. */
export interface ProbeResult {
  role: 'primary' | 'replica';
  /** PostgreSQL's identifier of the cluster (from initdb): the same on every node of one cluster. */
  systemIdentifier: string;
  /** WAL timeline the node is on; it grows by one at every promotion. */
  timeline: number;
  /**
   * Primary: how far its WAL is on disk (what replicas can have; every committed transaction
   * is within it). Replica: how far it has replayed.
   */
  lsn: Lsn;
  /** Replica: seconds since the last replayed transaction committed on the primary, when it is behind. */
  replayDelaySeconds: number | null;
  /** Replica: whether replay was paused (pg_wal_replay_pause). */
  replayPaused: boolean;
  /**
   * Primary: the standbys that confirm its commits now (streaming, and synchronous or in the
   * quorum of `synchronous_standby_names`), by application name; empty when it commits alone.
   * Undefined on a replica, or when the probing role may not read pg_stat_replication (it
   * needs pg_monitor).
   */
  synchronousStandbys: string[] | undefined;
  /**
   * Whether the probing role may read the replication views (pg_stat_wal_receiver,
   * pg_stat_replication), which takes `pg_read_all_stats` (in `pg_monitor`). Without it a
   * replica's timeline is only its last restartpoint's, a lower bound that can be timelines
   * behind after a failover, and the primary's durability cannot be told.
   */
  readsReplicationStatus: boolean;
  /** The database role the probe runs as, to name in the grant that is missing. */
  databaseRole: string;
  /** `address:port` of the server that answered; null over a Unix socket. */
  server: string | null;
  /** Round trip of the probe, in ms. */
  latencyMs: number;
  /** When the probe was sent (ms since the epoch): what it says held then, at the latest. */
  sentAt: number;
}

interface ProbeRow {
  inRecovery: boolean;
  systemIdentifier: string;
  lsn: string;
  timeline: string | null;
  replayAge: string | null;
  paused: boolean;
  /** Primary: [application_name, state, sync_state] of each WAL sender (state null when hidden from this role). */
  standbys: [string, string | null, string | null][] | null;
  readsReplicationStatus: boolean;
  databaseRole: string;
  server: string | null;
}

/**
 * One probe statement. The timeline comes from the current WAL file name on a primary
 * (the control file's copy lags behind a promotion until the next checkpoint), and on a
 * replica from its WAL receiver, or its last restartpoint while it has no upstream or the
 * role may not read the receiver (a lower bound: a replica never replays backwards).
 */
export async function probeNode(sql: Sql, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const sentAt = Date.now();
  const query = sql<ProbeRow[]>`
    select
      pg_is_in_recovery() as "inRecovery",
      (select system_identifier::text from pg_control_system()) as "systemIdentifier",
      (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_flush_lsn() end)::text as lsn,
      case when pg_is_in_recovery()
        then coalesce((select received_tli from pg_stat_wal_receiver), (select timeline_id from pg_control_checkpoint()))::text
        else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int::text
      end as timeline,
      case when pg_is_in_recovery() and pg_last_wal_receive_lsn() is distinct from pg_last_wal_replay_lsn()
        then extract(epoch from now() - pg_last_xact_replay_timestamp())::text
      end as "replayAge",
      case when pg_is_in_recovery() then pg_get_wal_replay_pause_state() <> 'not paused' else false end as paused,
      case when not pg_is_in_recovery() then
        (select coalesce(json_agg(json_build_array(application_name, state, sync_state)), '[]') from pg_stat_replication)
      end as standbys,
      pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') as "readsReplicationStatus",
      current_user as "databaseRole",
      host(inet_server_addr()) || ':' || inet_server_port() as server`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The cancel request goes over a connection of its own; a node that does not answer
      // fails it too, which the probe's own failure already says.
      Promise.resolve(query.cancel()).catch(() => {});
      reject(new ProbeTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    const [row] = await Promise.race([query, timeout]);
    if (!row) throw new Error('the probe returned no row');
    return {
      role: row.inRecovery ? 'replica' : 'primary',
      systemIdentifier: row.systemIdentifier,
      timeline: row.timeline === null ? 0 : Number(row.timeline),
      lsn: parseLsn(row.lsn),
      replayDelaySeconds: row.replayAge === null ? null : Math.max(0, Number(row.replayAge)),
      replayPaused: row.paused,
      synchronousStandbys: synchronousStandbys(row.standbys),
      readsReplicationStatus: row.readsReplicationStatus,
      databaseRole: row.databaseRole,
      server: row.server,
      latencyMs: performance.now() - started,
      sentAt,
    };
  } finally {
    clearTimeout(timer);
  }
}

function synchronousStandbys(standbys: ProbeRow['standbys']): string[] | undefined {
  if (standbys === null || standbys.some(([, state]) => state === null)) return undefined;
  return standbys
    .filter(([, state, sync]) => state === 'streaming' && (sync === 'sync' || sync === 'quorum'))
    .map(([name]) => name)
    .sort();
}

export class ProbeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the health probe got no answer within ${timeoutMs} ms`);
    this.name = 'ProbeTimeoutError';
  }
}
