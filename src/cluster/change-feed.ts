import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { causeChain, isServerError, safeErrorFields } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Lsn } from './lsn.js';
import { quoteIdentifier, type ConnectionManager } from './manager.js';
import type { ClusterNode } from './node.js';
import { LogicalReplicationStream, type StreamedMessage } from './replication-stream.js';
import type { Position } from './timeline.js';

/**
 * One row a committed transaction changed: its table and the values of its integer key columns
 * (`id`, `product_id`, ...) the WAL names. An UPDATE of a table with REPLICA IDENTITY FULL names
 * the row before and after it (a review moved to another product names both products).
 */
export interface ChangedRow {
  table: string;
  keys: Record<string, number[]>;
}

/** A committed transaction as the primary's WAL tells it. */
export interface CommittedTransaction {
  timeline: number;
  /**
   * The end of its commit record, as the walsender and `pg_logical_slot_get_changes` both give
   * it: a node whose replay position has reached it has the transaction.
   */
  commitLsn: Lsn;
  /** When the primary committed it (ms since the epoch). */
  committedAt: number;
  rows: ChangedRow[];
}

/** Every commit up to `position` has been heard, and that position held the primary's commits up to `at` (ms since the epoch). */
export interface HeardUpTo {
  position: Position;
  at: number;
}

/**
 * `following`: every commit since `syncedFrom` is being heard; `connecting`: no primary yet, or
 * the feed is (re)starting on one; `unavailable`: the primary does not decode its WAL
 * (wal_level is not logical) or the role may not stream it (no REPLICATION), so nothing is
 * heard; `stopped`.
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
  logger?: Logger;
}

/** How often the feed looks whether the connection manager's primary is still the one it follows, in ms. */
const CHECK_MS = 100;
/** How long the feed waits before it tries the same primary again after a failure, in ms. */
const RETRY_MS = 1000;
/** How long it waits before it asks a primary without logical decoding, or a role without REPLICATION, again. */
const UNAVAILABLE_RETRY_MS = 30_000;
/** test_decoding's options: the commit time on each COMMIT line, and no lines for transactions that changed no rows. */
const DECODING_OPTIONS = { 'include-timestamp': 'on', 'skip-empty-xacts': 'on', 'include-xids': 'off' };

interface Following {
  node: ClusterNode;
  timeline: number;
  session: Sql;
  /** Set once the slot exists and the stream has started. */
  stream?: LogicalReplicationStream;
  /** The rows of the transaction being heard, from its BEGIN line. */
  rows: ChangedRow[];
  /** When the stream was last seen to hold all the WAL the primary had flushed at its latest probe. */
  caughtUpAt: number;
}

/**
 * The primary's committed changes, pushed by the primary as they commit: a logical replication
 * stream (see replication-stream.ts) from a temporary slot with PostgreSQL's `test_decoding`
 * output, on a walsender connection of its own (the role needs REPLICATION). Temporary, because
 * a slot keeps WAL until it is read: this one goes away with its session (a crash of this
 * process, a lost connection, the primary's failover), so it can never hold WAL on a primary
 * nobody reads it from. And since a temporary slot never reaches the replicas, a failover loses
 * it anyway: the feed follows the connection manager's primary, creates a new slot there and
 * says with `onResync` that what happened in between is unknown.
 *
 * test_decoding rather than pgoutput: pgoutput streams only the tables of a publication, an
 * object in the application's database that someone must create, own and keep listing every
 * table in (a table left out would never evict anything); test_decoding needs nothing but the
 * slot, and its lines carry all the cache needs (table, integer keys, commit time), while the
 * commit position comes with each line from the walsender for either plugin. (postgres.js's own
 * `subscribe` does not pass that position on, and reconnects to the same host, not the new
 * primary.) The primary logs each stream's start, not each change as it logged every read of
 * a polled slot, so the session's log level is left alone.
 */
export class ChangeFeed {
  private current: Following | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: ChangeFeedState = 'connecting';
  private unavailableUntil = 0;
  /** The primary the last attempt failed on, and until when it is not asked again. */
  private failed: { node: ClusterNode; until: number } | undefined;
  /** The step running now, if any: stop() waits for it. */
  private stepping: Promise<void> | undefined;
  /** Streams being closed after a loss, awaited by stop() so that none outlives it. */
  private readonly closing = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(
    private readonly cluster: ConnectionManager,
    private readonly options: ChangeFeedOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  get state(): ChangeFeedState {
    return this.status;
  }

  /**
   * How far behind the primary's WAL the feed is, in ms: 0 while the stream holds everything
   * the primary had flushed when the connection manager last probed it, else the time since
   * it last did (the walsender is behind, or the stream stalled). Undefined while not following.
   */
  get lagMs(): number | undefined {
    const current = this.current;
    if (this.status !== 'following' || !current?.stream) return undefined;
    return current.stream.position >= current.node.lsn ? 0 : Date.now() - current.caughtUpAt;
  }

  /**
   * How far every committed change has been heard, and as of when: once the stream holds all
   * the WAL the primary had flushed at its latest probe, every commit acknowledged before that
   * probe was sent has been told to `onCommit`. Undefined while not following, or behind.
   */
  get heardUpTo(): HeardUpTo | undefined {
    const current = this.current;
    const probe = current?.node.lastProbe;
    if (this.status !== 'following' || !current?.stream || !probe || probe.role !== 'primary' || probe.timeline !== current.timeline)
      return undefined;
    if (current.stream.position < probe.lsn) return undefined;
    return { position: { timeline: current.timeline, lsn: probe.lsn }, at: probe.sentAt };
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    clearTimeout(this.timer);
    await this.close();
    // A step making a slot when the session was ended above drops what it made before it returns.
    await this.stepping;
    await Promise.all(this.closing);
  }

  private schedule(ms: number): void {
    if (this.status === 'stopped') return;
    this.timer = setTimeout(() => {
      this.stepping = this.step();
    }, ms);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    const primary = this.cluster.primary;
    try {
      if (this.current && (this.current.node !== primary || this.current.timeline < this.cluster.newestTimeline)) {
        this.lose('the primary changed');
      }
      const failed = this.failed;
      const waiting = Date.now() < this.unavailableUntil || (failed !== undefined && failed.node === primary && Date.now() < failed.until);
      if (!this.current && primary && !waiting) await this.follow(primary);
      const current = this.current;
      if (current?.stream) {
        if (current.stream.position >= current.node.lsn) current.caughtUpAt = Date.now();
        current.stream.confirm(this.replicated(current.timeline));
      }
    } catch (error) {
      // The same node is asked again after a pause; a new primary at once (a failover is the common cause).
      this.failed = primary && { node: primary, until: Date.now() + RETRY_MS };
      if (this.status !== 'stopped') this.fail(error);
    }
    this.schedule(CHECK_MS);
  }

  private async follow(node: ClusterNode): Promise<void> {
    const following: Following = {
      node,
      timeline: node.timeline,
      session: node.openReplicationSession(),
      rows: [],
      caughtUpAt: Date.now(),
    };
    this.current = following;
    const stream = await LogicalReplicationStream.open(following.session, `shopgraph_cache_${randomBytes(6).toString('hex')}`, {
      plugin: 'test_decoding',
      pluginOptions: DECODING_OPTIONS,
      onMessage: (message) => this.hear(following, message),
      onProgress: (lsn) => {
        if (lsn >= following.node.lsn) following.caughtUpAt = Date.now();
      },
      onLost: (error) => {
        if (this.current === following) this.lose('the stream was lost', error);
      },
    });
    if (this.current !== following) {
      // Stopped, or the primary changed, while the slot was being made.
      await stream.close();
      return;
    }
    following.stream = stream;
    following.caughtUpAt = Date.now();
    this.status = 'following';
    this.logger.info('response cache: following the primary’s changes', { node: node.name, timeline: following.timeline });
    this.options.onResync({ timeline: following.timeline, lsn: stream.startLsn }, this.status);
  }

  /**
   * How far a physical replica has replayed the primary's WAL on `timeline`, as the probes saw:
   * all the stream may confirm, so that its walsender, should synchronous replication count it
   * as a standby, never stands for a replica that does not have the commit (0 without one).
   */
  private replicated(timeline: number): Lsn {
    let furthest = 0n;
    for (const node of this.cluster.nodes)
      if (node.role === 'replica' && node.timeline === timeline && node.lsn > furthest) furthest = node.lsn;
    return furthest;
  }

  /** One line of test_decoding: a transaction's BEGIN, a row it changed, or its COMMIT. */
  private hear(following: Following, message: StreamedMessage): void {
    const line = message.data.toString('utf8');
    if (line.startsWith('BEGIN')) following.rows = [];
    else if (line.startsWith('COMMIT')) {
      // The COMMIT line's position is the one pg_logical_slot_get_changes gives it: the end of
      // the commit record (test/integration/change-feed.test.ts holds the two together).
      this.options.onCommit({
        timeline: following.timeline,
        commitLsn: message.lsn,
        committedAt: commitTime(line) ?? Date.now(),
        rows: following.rows,
      });
      following.rows = [];
    } else {
      const row = parseRow(line);
      if (row) following.rows.push(row);
    }
  }

  /** A failure to start or keep a stream: some say that the primary cannot have one at all. */
  private fail(error: unknown): void {
    const cause = [...causeChain(error)].find(isServerError);
    if (cause?.code === '55000' && NOT_LOGICAL.test(cause.message)) {
      this.unavailable(
        'response cache: the primary does not decode its WAL (wal_level is not logical); cached responses expire by age only',
      );
    } else if (cause?.code === INSUFFICIENT_PRIVILEGE) {
      const role = this.current?.node.lastProbe?.databaseRole;
      this.unavailable(
        `response cache: the database role may not stream the primary's changes; cached responses expire by age only; fix: ALTER ROLE ${role === undefined ? '<role>' : quoteIdentifier(role)} REPLICATION`,
      );
    } else {
      this.lose('the change feed failed', error);
    }
  }

  private unavailable(message: string): void {
    this.closeCurrent();
    this.unavailableUntil = Date.now() + UNAVAILABLE_RETRY_MS;
    if (this.status === 'unavailable') return;
    this.logger.warn(message);
    this.status = 'unavailable';
    this.options.onResync(undefined, this.status);
  }

  /**
   * Gives up the slot and its stream; the next step starts again on the primary of the moment.
   * Failing again before it follows one tells the cache nothing new, so it is said once.
   */
  private lose(reason: string, error?: unknown): void {
    const news = this.status === 'following' || this.status === 'unavailable';
    const fields = { reason, ...(error === undefined ? {} : safeErrorFields(error)) };
    if (news) this.logger.warn('response cache: the change feed stopped; entries that cannot be proven fresh are dropped', fields);
    else this.logger.debug('response cache: the change feed could not start', fields);
    this.closeCurrent();
    if (this.status === 'stopped') return;
    this.status = 'connecting';
    if (news) this.options.onResync(undefined, this.status);
  }

  /** Closes the current stream in the background: a primary that stopped answering must not hold up the next one. */
  private closeCurrent(): void {
    const closed = this.close();
    this.closing.add(closed);
    void closed.finally(() => this.closing.delete(closed));
  }

  private async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current?.stream) await current.stream.close();
    else await current?.session.end({ timeout: 0 }).catch(() => {});
  }
}

/** SQLSTATE 55000 with this text: the primary's wal_level is below logical. */
const NOT_LOGICAL = /wal_level/i;
/** SQLSTATE 42501, raised when a role without REPLICATION opens a walsender connection. */
const INSUFFICIENT_PRIVILEGE = '42501';

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

/**
 * A row of test_decoding's output, or undefined for a line that is not one. Every value of a
 * key column on the line counts: the old row's and the new one's, and any a text column
 * happens to spell like one, which can only evict more, never less.
 */
export function parseRow(line: string): ChangedRow | undefined {
  const match = ROW.exec(line);
  if (!match) return undefined;
  const keys: Record<string, number[]> = {};
  for (const [, column, text] of line.matchAll(KEY_COLUMN)) {
    const values = (keys[column!] ??= []);
    const value = Number(text);
    if (!values.includes(value)) values.push(value);
  }
  return { table: match[2]!.replace(/^"|"$/g, ''), keys };
}
