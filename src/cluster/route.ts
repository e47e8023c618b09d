import type { Sql } from 'postgres';
import { causeChain, PrimaryUnavailableError, RequestTimeoutError, ServiceUnavailableError, WriteOutcomeUnknownError } from '../errors.js';
import { traceStatement } from '../tracing/index.js';
import type { Deadline } from './deadline.js';
import {
  classifyFailure,
  isNodeFailure,
  PrimarySupersededError,
  RolledBackError,
  StatementTimeoutError,
  type FailureKind,
} from './failure.js';
import type { ClusterNode } from './node.js';
import { probeNode } from './probe.js';
import type { Position } from './timeline.js';
import type { ConsistencyToken } from './token.js';

export type RouteIntent = 'read' | 'write';

/** Why a read went where it went; counted, and shown to clients as the serving role. */
export type ReadDecision =
  | 'replica'
  /** A replica, after waiting for it to replay the client's consistency token. */
  | 'replica-after-wait'
  | 'primary-requested'
  | 'primary-fallback';

export type FallbackReason = 'no-replica' | 'replicas-unhealthy' | 'replicas-lagging' | 'token-not-replayed' | 'token-timeline';

export interface ReadChoice {
  node: ClusterNode;
  decision: ReadDecision;
  reason?: FallbackReason;
}

export interface ReadConstraints {
  /** The client's consistency token: only nodes that replayed it qualify. */
  token?: ConsistencyToken;
  /** Only nodes at least this far on this timeline (a retry must not go back in time). */
  floor?: Position;
  /** Nodes that just failed for this route. */
  exclude?: ReadonlySet<ClusterNode>;
}

/** What a route needs from the connection manager. */
export interface RouteHost {
  chooseReader(constraints: ReadConstraints): Promise<ReadChoice>;
  /** The primary now, waiting briefly for a rediscovery when none is known; for writes, one that may take them. */
  awaitPrimary(purpose: 'read' | 'write'): Promise<ClusterNode>;
  reportFailure(node: ClusterNode, kind: FailureKind): void;
  /** Counts a read sent to the primary because the client asked for it. */
  countPrimaryRequested(): void;
  readonly statementTimeoutMs: number;
  /** The newest timeline seen: writes committed on an older one are not acknowledged. */
  readonly newestTimeline: number;
  countRetry(intent: RouteIntent): void;
}

export interface RouteOptions {
  /** Read from the primary, whatever the replicas' state (a client asked for it). */
  primary?: boolean;
  /** A consistency token the client sent back. */
  token?: ConsistencyToken;
  /** The request's deadline: when it passes, the route cancels its running statements. */
  deadline?: Deadline;
}

export interface RunOptions {
  /**
   * `write` for work that changes data. Reads are retried on another node after a
   * connection failure; writes only when they are known not to have run or are idempotent.
   */
  kind?: 'read' | 'write';
  /** The write carries an idempotency key: running it twice has the effect of once. */
  idempotent?: boolean;
}

/**
 * The database handle of one unit of work (one GraphQL operation). Every statement goes to
 * the node chosen on first use, so a response never mixes nodes or goes back in time.
 * Reads go to a replica; writes, and the reads that follow them in a mutation, to the
 * primary. A node that fails is reported, and the work moves to a node at least as fresh
 * (reads: to each node once at most, up to MAX_READ_ATTEMPTS) or once to the primary now
 * (writes that are safe to repeat).
 */
export class Route {
  private pinned: ClusterNode | undefined;
  private choice: ReadChoice | undefined;
  /** The pinned node's position when it was chosen: a replacement must be at least there, on its timeline. */
  private floor: Position | undefined;
  /** The nodes a read failed on: a retry goes elsewhere. */
  private readonly failedOn = new Set<ClusterNode>();
  private wrote = false;
  /** Whether this route cancelled its statements because one passed the read timeout. */
  private cancelledSlow = false;
  /** Statements sent through this route, so a deadline can cancel the ones still running. */
  private readonly statements = new Set<{ cancel(): unknown }>();
  private readonly clients = new Map<ClusterNode, { pool: Sql; client: Sql; unnamed: Sql }>();

  constructor(
    private readonly host: RouteHost,
    readonly intent: RouteIntent,
    readonly options: RouteOptions = {},
  ) {}

  /** The node this route's statements went to, if any ran yet. */
  get servedBy(): ClusterNode | undefined {
    return this.pinned;
  }

  /** How the node of a read route was chosen. */
  get readChoice(): ReadChoice | undefined {
    return this.choice;
  }

  /**
   * How far the route's node had replayed when it was chosen, on its timeline: what its reads
   * saw holds at least that much (a replacement after a failure is at least as far).
   */
  get readPosition(): Position | undefined {
    return this.floor;
  }

  /** Whether a write ran (and committed) through this route. */
  get hasWritten(): boolean {
    return this.wrote;
  }

  /**
   * The token of this route's writes: the primary's timeline and WAL position now, after
   * they committed. Undefined when the route wrote nothing. Throws WRITE_OUTCOME_UNKNOWN when
   * that primary's timeline has been superseded meanwhile (it was promoted away while the
   * writes ran): they committed on a history the cluster has left, so they are not acknowledged.
   */
  async consistencyToken(): Promise<ConsistencyToken | undefined> {
    if (!this.wrote || !this.pinned) return undefined;
    const position = await probeNode(this.pinned.sql, this.host.statementTimeoutMs);
    if (position.timeline < this.host.newestTimeline) throw new WriteOutcomeUnknownError();
    return { timeline: position.timeline, lsn: position.lsn };
  }

  /**
   * The node's pool as this route uses it: the same connections, but every statement is
   * remembered so the request's deadline can cancel it on the server. Its statements are named
   * prepared statements, planned once per connection; with `prepare: false` they are unnamed,
   * planned with each execution's values.
   */
  clientFor(node: ClusterNode, { prepare = true }: { prepare?: boolean } = {}): Sql {
    const pool = node.sql;
    let entry = this.clients.get(node);
    // A node that went down gets a new pool; wrap the one in use now.
    if (!entry || entry.pool !== pool) {
      entry = {
        pool,
        client: trackStatements(pool, this.statements, node, true),
        unnamed: trackStatements(pool, this.statements, node, false),
      };
      this.clients.set(node, entry);
    }
    return prepare ? entry.client : entry.unnamed;
  }

  async run<T>(work: (node: ClusterNode) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const first = await this.pin();
    let firstFailure: { kind: FailureKind; error: unknown };
    try {
      return await this.attempt(first, work, options);
    } catch (error) {
      const kind = this.failureOf(error);
      if (kind === 'statement') throw error;
      this.host.reportFailure(first, kind);
      if (!this.mayRetry(kind, error, options)) throw this.giveUp(kind, error, options);
      firstFailure = { kind, error };
    }
    this.host.countRetry(this.intent);
    // A write retried although it may have committed (it is idempotent): whatever stops the
    // retry from answering for itself, the client must hear that the outcome is unknown.
    const uncertain = options.kind === 'write' && mayHaveRun(firstFailure.kind, firstFailure.error);
    // A read may move on again: the node it moved to can fail too (a second replica cut off
    // while the first one's read timed out), and the primary, or another replica, may answer.
    const attempts = options.kind === 'write' || this.intent === 'write' || this.options.primary ? 2 : MAX_READ_ATTEMPTS;
    let failed = first;
    for (let attempt = 2; ; attempt++) {
      let replacement: ClusterNode;
      try {
        replacement = await this.repin(failed);
      } catch (error) {
        throw uncertain ? new WriteOutcomeUnknownError({ cause: error }) : error;
      }
      try {
        return await this.attempt(replacement, work, options);
      } catch (error) {
        const kind = this.failureOf(error);
        if (kind === 'statement' && !(uncertain && error instanceof RequestTimeoutError)) throw error;
        if (kind !== 'statement') this.host.reportFailure(replacement, kind);
        if (kind !== 'statement' && attempt < attempts && this.mayRetry(kind, error, options)) {
          this.host.countRetry(this.intent);
          failed = replacement;
          continue;
        }
        throw uncertain ? new WriteOutcomeUnknownError({ cause: error }) : this.giveUp(kind, error, options);
      }
    }
  }

  private async pin(): Promise<ClusterNode> {
    if (this.pinned) return this.pinned;
    if (this.intent === 'write' || this.options.primary) {
      this.pinned = await this.host.awaitPrimary(this.intent);
      if (this.intent === 'read') {
        this.choice = { node: this.pinned, decision: 'primary-requested' };
        this.host.countPrimaryRequested();
      }
    } else {
      this.choice = await this.host.chooseReader({ token: this.options.token });
      this.pinned = this.choice.node;
    }
    this.floor = { timeline: this.pinned.timeline, lsn: this.pinned.lsn };
    return this.pinned;
  }

  private async repin(failed: ClusterNode): Promise<ClusterNode> {
    const floor = this.floor;
    this.pinned = undefined;
    if (this.intent === 'write' || this.options.primary) {
      const primary = await this.pin();
      // Timelines only go forward: a primary on an older one than the first attempt's would
      // not have that attempt's commit, so a repeat there could place the same thing twice.
      if (floor && primary.timeline < floor.timeline) {
        throw new PrimaryUnavailableError('the primary moved to an older timeline, which never takes writes', 1);
      }
      return primary;
    }
    this.failedOn.add(failed);
    this.choice = await this.host.chooseReader({ token: this.options.token, floor, exclude: new Set(this.failedOn) });
    this.pinned = this.choice.node;
    return this.pinned;
  }

  private async attempt<T>(node: ClusterNode, work: (node: ClusterNode) => Promise<T>, options: RunOptions): Promise<T> {
    const deadline = this.options.deadline;
    if (deadline?.passed) throw new RequestTimeoutError(deadline.timeoutMs);
    const started = performance.now();
    node.inFlight += 1;
    try {
      const isWrite = options.kind === 'write';
      const running = this.withinDeadline(isWrite ? this.whilePrimary(node, work(node)) : work(node), isWrite);
      const result = await (options.kind === 'write' ? running : withTimeout(running, this.host.statementTimeoutMs));
      if (options.kind === 'write') this.wrote = true;
      return result;
    } catch (error) {
      // A read past the read timeout is cancelled on its node, not abandoned to run on there.
      if (error instanceof StatementTimeoutError) this.cancelSlow();
      throw error;
    } finally {
      node.inFlight -= 1;
      node.observeLatency(performance.now() - started);
    }
  }

  /**
   * Settles like `work`, unless `node` stops being the primary first: then the route's
   * statements are cancelled there and the write fails as if its connection broke. A write
   * waiting there (for a synchronous standby that now follows the new primary, or on a node
   * that froze) would otherwise hold its client until the deadline, and whatever it commits
   * there is on a timeline that will not last.
   */
  private whilePrimary<T>(node: ClusterNode, work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stopListening = node.onSuperseded(() => {
        this.cancelStatements();
        reject(new PrimarySupersededError());
      });
      work.then(resolve, reject).finally(stopListening);
    });
  }

  /**
   * Settles like `work`, unless the request's deadline fires first: then the route's running
   * statements are cancelled on the server. A read gives up at once (TIMEOUT); a write waits
   * briefly for the cancellation's verdict, since it may have committed just in time. A write
   * that succeeds after the cancel was sent is not acknowledged either: a cancel that reaches
   * a commit waiting for its synchronous standby leaves it committed on the primary alone.
   */
  private withinDeadline<T>(work: Promise<T>, isWrite: boolean): Promise<T> {
    const deadline = this.options.deadline;
    if (!deadline) return work;
    const { timeoutMs } = deadline;
    return new Promise<T>((resolve, reject) => {
      let verdictTimer: NodeJS.Timeout | undefined;
      // Whether the cancel was sent, which is what decides a write's outcome; the deadline's
      // time may be up a moment before its timer sends it.
      let cancelled = false;
      const stopWaiting = deadline.whenPassed(() => {
        cancelled = true;
        this.cancelStatements();
        if (!isWrite) reject(new RequestTimeoutError(timeoutMs));
        else verdictTimer = setTimeout(() => reject(new WriteOutcomeUnknownError()), CANCEL_VERDICT_MS);
      });
      work
        .then(
          (value) => (isWrite && cancelled ? reject(new WriteOutcomeUnknownError()) : resolve(value)),
          (error: unknown) => reject(cancelled && isCancellation(error) ? new RequestTimeoutError(timeoutMs, { cause: error }) : error),
        )
        .finally(() => {
          stopWaiting();
          clearTimeout(verdictTimer);
        });
    });
  }

  /** How `error` failed; a cancellation this route sent after the read timeout counts as that timeout. */
  private failureOf(error: unknown): FailureKind {
    return this.cancelledSlow && isCancellation(error) ? 'timed-out' : classifyFailure(error);
  }

  /**
   * Cancels the route's statements (those of a read route all run on the slow node). A cancel
   * request that cannot reach the node fails on its own; the probes deal with the node.
   */
  private cancelSlow(): void {
    this.cancelledSlow = true;
    this.cancelStatements();
  }

  /**
   * Asks the server to cancel every statement of this route. A cancel request that cannot
   * reach the node fails on its own; whoever cancels answers the client either way.
   */
  private cancelStatements(): void {
    for (const statement of this.statements) Promise.resolve(statement.cancel()).catch(() => {});
  }

  private mayRetry(kind: FailureKind, error: unknown, options: RunOptions): boolean {
    if (options.kind !== 'write') return isNodeFailure(kind) || kind === 'read-only' || kind === 'timed-out';
    // A write may run again only if it cannot have run the first time, or if running it
    // twice does no harm.
    if (kind === 'not-connected' || kind === 'read-only') return true;
    return options.idempotent === true || isRolledBack(error);
  }

  private giveUp(kind: FailureKind, error: unknown, options: RunOptions): Error {
    if (kind === 'timed-out') return new RequestTimeoutError(this.host.statementTimeoutMs, { cause: error });
    if (options.kind === 'write' && mayHaveRun(kind, error)) return new WriteOutcomeUnknownError({ cause: error });
    if (this.intent === 'write' || this.options.primary)
      return new PrimaryUnavailableError('the primary database stopped answering', 1, { cause: error });
    return new ServiceUnavailableError('the database nodes stopped answering', 1, { cause: error });
  }
}

/** Nodes a read is tried on at most: a cluster's two replicas and its primary. */
const MAX_READ_ATTEMPTS = 3;

/** How long a cancelled write may take to report whether it committed. */
const CANCEL_VERDICT_MS = 2000;

/** SQLSTATE 57014: the statement was cancelled (and so rolled back). */
function isCancellation(error: unknown): boolean {
  for (const cause of causeChain(error)) if ((cause as { code?: unknown }).code === '57014') return true;
  return false;
}

/**
 * The pool with every statement it creates (also inside transactions) added to `statements`,
 * and traced as a statement of `node`. postgres.js statements are lazy thenables, so they are
 * only collected here, never awaited or chained, which would change how they run.
 */
function trackStatements(sql: Sql, statements: Set<{ cancel(): unknown }>, node: ClusterNode, prepare: boolean): Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: Record<string, unknown>) => {
          // Named prepared statements: the server parses and plans each distinct statement
          // once per connection instead of on every call (drizzle asks for unnamed ones).
          const statement = target.unsafe(query, parameters as never, { ...options, prepare });
          statements.add(statement);
          traceStatement(statement, query, node);
          return statement;
        };
      }
      if (property === 'begin') {
        return (...args: unknown[]) => {
          const callback = args.pop() as (tx: Sql) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args, (tx: Sql) =>
            callback(trackStatements(tx, statements, node, prepare)),
          );
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

function isRolledBack(error: unknown): boolean {
  return error instanceof RolledBackError;
}

/** Whether a failed write may have committed all the same: its connection broke after it was sent. */
function mayHaveRun(kind: FailureKind, error: unknown): boolean {
  return kind === 'connection-lost' && !isRolledBack(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StatementTimeoutError(ms)), ms);
  });
  // The abandoned statement may still fail later; that is expected, not unhandled.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
