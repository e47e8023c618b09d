import { causeChain } from '../errors.js';

/**
 * How a failed statement failed, as far as routing cares. Decides whether a node is taken
 * out, whether a read may go elsewhere, and whether a write can be retried safely.
 */
export type FailureKind =
  /** The connection could not be made: the statement never reached the server. */
  | 'not-connected'
  /** The connection broke or timed out with the statement in flight: it may have run. */
  | 'connection-lost'
  /** The node is a replica now (SQLSTATE 25006): the write was refused, nothing ran. */
  | 'read-only'
  /**
   * A read got no answer within the read timeout and was cancelled. The node may only be
   * busy: its probes, not this statement, decide whether it is taken out.
   */
  | 'timed-out'
  /** Anything else: the statement's own error (constraint, bad input, ...). */
  | 'statement';

/** Network errors raised before a connection exists (postgres.js passes the socket's code). */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const LOST_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'STATEMENT_TIMEOUT',
]);

/**
 * SQLSTATE class 08 (connection exception) and the shutdown codes 57P01 (admin shutdown),
 * 57P02 (crash shutdown), 57P03 (cannot connect now). 57P03 is raised while connecting, so
 * nothing ran.
 */
function classifySqlState(code: string): FailureKind | undefined {
  if (code === '25006') return 'read-only';
  if (code === '57P03') return 'not-connected';
  if (code.startsWith('08') || code === '57P01' || code === '57P02') return 'connection-lost';
  return undefined;
}

export function classifyFailure(error: unknown): FailureKind {
  for (const cause of causeChain(error)) {
    if (cause instanceof StatementTimeoutError) return 'timed-out';
    if (cause instanceof PrimarySupersededError) return 'connection-lost';
    const code = (cause as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (NOT_CONNECTED_CODES.has(code)) return 'not-connected';
    if (LOST_CODES.has(code)) return 'connection-lost';
    const kind = (cause as Error).name === 'PostgresError' ? classifySqlState(code) : undefined;
    if (kind) return kind;
  }
  return 'statement';
}

/** Failures that say the node itself is in trouble, not the statement. */
export function isNodeFailure(kind: FailureKind): boolean {
  return kind === 'not-connected' || kind === 'connection-lost';
}

/**
 * A statement got no answer within the client-side time limit. The node may be slow, busy
 * or cut off without the connection noticing (a black-holed link): the statement is
 * cancelled and the read may go elsewhere, and the probes that follow tell the cases apart.
 */
export class StatementTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer from the database within ${timeoutMs} ms`);
    this.name = 'StatementTimeoutError';
  }
}

/**
 * The node a write was running on stopped being the primary while it ran: another node was
 * elected on a newer timeline, or this one was fenced. The write was abandoned there (its
 * statements cancelled): it may have committed, on a timeline that will not last, so it
 * counts as a lost connection (an idempotent write is retried on the new primary).
 */
export class PrimarySupersededError extends Error {
  constructor() {
    super('the node stopped being the primary while the write ran');
    this.name = 'PrimarySupersededError';
  }
}

/**
 * Thrown by the data layer for a transaction that failed before its COMMIT was sent: the
 * database rolled it back, so it is known not to have run and a retry is safe.
 */
export class RolledBackError extends Error {
  constructor(options: ErrorOptions) {
    super('the transaction failed before it committed and was rolled back', options);
    this.name = 'RolledBackError';
  }
}
