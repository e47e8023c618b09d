import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { silentLogger, type Logger } from '../log.js';
import { parseLsn, type Lsn } from './lsn.js';
import type { ConnectionManager } from './manager.js';
import type { ClusterNode } from './node.js';
import type { Position } from './timeline.js';

/** One row a committed transaction changed: its table and its integer key columns (`id`, `product_id`, ...). */
export interface ChangedRow {
  table: string;
  keys: Record<string, number>;
}

/** A committed transaction as the primary's WAL tells it. */
export interface CommittedTransaction {
  timeline: number;
  /** Where its commit record starts: a node whose replay position is past it has it. */
  commitLsn: Lsn;
  /** When the primary committed it (ms since the epoch). */
  committedAt: number;
  rows: ChangedRow[];
}

/**
 * `following`: every commit since `syncedFrom` is being heard; `connecting`: no primary yet, or
 * the feed is (re)starting on one; `unavailable`: the primary does not decode its WAL
 * (wal_level is not logical), so nothing is heard; `stopped`.
 */
export type ChangeFeedState = 'connecting' | 'following' | 'unavailable' | 'stopped';

export interface ChangeFeedOptions {
  /** Told of every committed transaction that changed rows, in commit order. */
  onCommit: (transaction: CommittedTransaction) => void;
  /**
   * Told when the feed starts following a primary from `position` (state `following`), or stops
   * hearing (`connecting`, `unavailable`): commits between what was heard before and
   * `position`, or from now on, are unknown.
   */
  onResync: (position: Position | undefined, state: ChangeFeedState) => void;
  /** How often the slot is read, in ms (default 20). */
  pollMs?: number;
  logger?: Logger;
}

/** SQLSTATE 55000 with this text: the primary's wal_level is below logical. */
const NOT_LOGICAL = /wal_level/i;
/** How long the feed waits before it tries a primary again after a failure, in ms. */
const RETRY_MS = 1000;
/** How long it waits before it asks a primary without logical decoding again. */
const UNAVAILABLE_RETRY_MS = 30_000;

/**
 * The primary's committed changes, read from its WAL through logical decoding: a temporary
 * slot (PostgreSQL's `test_decoding` output) on a session of its own, read every `pollMs`.
 * Temporary, because a slot keeps WAL until it is read: this one goes away with its session
 * (a crash of this process, a lost connection, the primary's failover), so it can never hold
 * WAL on a primary nobody reads it from. And since a logical slot on a primary does not reach
 * the replicas in PostgreSQL 16 and before, a failover loses it anyway: the feed follows the
 * connection manager's primary, creates a new slot there and says with `onResync` that what
 * happened in between is unknown.
 *
 * A publication-based stream (pgoutput through postgres.js `subscribe`) would push changes
 * without polling, but postgres.js does not pass the commit position on to its callbacks, and
 * after a lost connection it retries the same host, not the new primary.
 */
export class ChangeFeed {
  private current: { node: ClusterNode; session: Sql; slot: string; timeline: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: ChangeFeedState = 'connecting';
  private lastRead = 0;
  private unavailableUntil = 0;
  private readonly pollMs: number;
  private readonly logger: Logger;

  constructor(
    private readonly cluster: ConnectionManager,
    private readonly options: ChangeFeedOptions,
  ) {
    this.pollMs = options.pollMs ?? 20;
    this.logger = options.logger ?? silentLogger;
  }

  get state(): ChangeFeedState {
    return this.status;
  }

  /** Milliseconds since the slot was last read through to its end; undefined while not following. */
  get lagMs(): number | undefined {
    return this.status === 'following' ? Date.now() - this.lastRead : undefined;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    clearTimeout(this.timer);
    await this.close();
  }

  private schedule(ms: number): void {
    if (this.status === 'stopped') return;
    this.timer = setTimeout(() => void this.step(), ms);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    let next = this.pollMs;
    try {
      const primary = this.cluster.primary;
      if (this.current && (this.current.node !== primary || this.current.timeline < this.cluster.newestTimeline)) {
        await this.lose('the primary changed');
      }
      if (!this.current && primary && Date.now() >= this.unavailableUntil) await this.follow(primary);
      if (this.current) await this.read(this.current);
      else next = RETRY_MS;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (NOT_LOGICAL.test(message)) {
        if (this.status !== 'unavailable')
          this.logger.warn(
            'response cache: the primary does not decode its WAL (wal_level is not logical); cached responses expire by age only',
          );
        this.status = 'unavailable';
        this.unavailableUntil = Date.now() + UNAVAILABLE_RETRY_MS;
        await this.close();
        this.options.onResync(undefined, this.status);
      } else if (this.status !== 'stopped') {
        await this.lose(`the change feed failed: ${message}`);
      }
      next = RETRY_MS;
    }
    this.schedule(next);
  }

  private async follow(node: ClusterNode): Promise<void> {
    this.status = 'connecting';
    const session = node.openSession();
    const slot = `shopgraph_cache_${randomBytes(6).toString('hex')}`;
    this.current = { node, session, slot, timeline: node.timeline };
    // PostgreSQL logs every read of a logical slot at LOG level, 50 lines a second here; a
    // role that may not change log_min_messages leaves them in the server's log.
    await session`set log_min_messages = warning`.catch(() => {});
    const [created] = await session<{ lsn: string }[]>`
      select lsn::text from pg_create_logical_replication_slot(${slot}, 'test_decoding', true)`;
    this.status = 'following';
    this.lastRead = Date.now();
    this.logger.info('response cache: following the primary’s changes', { node: node.name, timeline: this.current.timeline });
    this.options.onResync({ timeline: this.current.timeline, lsn: parseLsn(created!.lsn) }, this.status);
  }

  private async read(current: NonNullable<ChangeFeed['current']>): Promise<void> {
    const started = Date.now();
    const rows = await current.session<{ lsn: string; data: string }[]>`
      select lsn::text, data from pg_logical_slot_get_changes(${current.slot}, null, null,
        'include-timestamp', 'on', 'skip-empty-xacts', 'on', 'include-xids', 'off')`;
    let changed: ChangedRow[] = [];
    for (const { lsn, data } of rows) {
      if (data.startsWith('BEGIN')) changed = [];
      else if (data.startsWith('COMMIT')) {
        this.options.onCommit({
          timeline: current.timeline,
          commitLsn: parseLsn(lsn),
          committedAt: commitTime(data) ?? Date.now(),
          rows: changed,
        });
        changed = [];
      } else {
        const row = parseRow(data);
        if (row) changed.push(row);
      }
    }
    this.lastRead = started;
  }

  /** Gives up the slot and its session; the next step starts again on the primary of the moment. */
  private async lose(reason: string): Promise<void> {
    if (this.current)
      this.logger.warn('response cache: the change feed stopped; entries that cannot be proven fresh are dropped', { reason });
    await this.close();
    if (this.status === 'stopped') return;
    this.status = 'connecting';
    this.options.onResync(undefined, this.status);
  }

  private async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    // Ending the session drops its temporary slot.
    await current?.session.end({ timeout: 1 }).catch(() => {});
  }
}

const ROW = /^table ([^.]+)\.(\S+): (?:INSERT|UPDATE|DELETE):/;
/** Integer key columns as test_decoding prints them: `product_id[integer]:42`. */
const KEY_COLUMN = /\b(id|\w+_id)\[(?:integer|bigint|smallint)\]:(\d+)/g;

const COMMIT_TIME = /\(at (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?\)$/;

/**
 * When a `COMMIT ... (at 2026-12-03 11:48:54.876543+00)` line of test_decoding says the
 * transaction committed, in ms since the epoch; undefined without a time. PostgreSQL writes
 * the offset as `+00`, which Date.parse refuses, so it is spelt out first.
 */
export function commitTime(line: string): number | undefined {
  const match = COMMIT_TIME.exec(line);
  if (!match) return undefined;
  const [, date, time, hours, minutes = '00'] = match;
  const at = Date.parse(`${date}T${time}${hours}:${minutes}`);
  return Number.isFinite(at) ? at : undefined;
}

/** A row of test_decoding's output, or undefined for a line that is not one. */
export function parseRow(line: string): ChangedRow | undefined {
  const match = ROW.exec(line);
  if (!match) return undefined;
  const keys: Record<string, number> = {};
  for (const [, column, value] of line.matchAll(KEY_COLUMN)) keys[column!] ??= Number(value);
  return { table: match[2]!.replace(/^"|"$/g, ''), keys };
}
