/**
 * What the chaos clients did and saw: one entry per request, Jepsen-style. Times are ms since
 * the schedule's load began.
 */
export type OperationKind =
  /** A product page, with the newest orders the serving node has (to measure its staleness). */
  | 'read'
  /** placeOrder with an idempotency key; every attempt is one operation. */
  | 'order'
  /** The order just placed, read back with the consistency token of its placement. */
  | 'token-read';

/**
 * - `ok`: it happened and the client knows it;
 * - `fail`: it definitely did not happen (a refusal that says nothing was changed);
 * - `unknown`: it may or may not have happened (WRITE_OUTCOME_UNKNOWN, a broken connection, a 5xx).
 */
export type OperationOutcome = 'ok' | 'fail' | 'unknown';

export interface Operation {
  index: number;
  worker: number;
  kind: OperationKind;
  invokedAt: number;
  completedAt: number;
  outcome: OperationOutcome;
  /** The error code of a request that did not succeed ('NETWORK' when no answer came). */
  code?: string;
  /** The node that served it, its role and timeline, from `extensions.routing`. */
  node?: string;
  role?: string;
  timeline?: number;
  /** order: the idempotency key (the same for every attempt of one order) and what it was for. */
  key?: string;
  productId?: number;
  /** order, token-read: the order's database id (from the global id the client got). */
  orderId?: number;
  replayed?: boolean;
  /** order: the consistency token of the placement. */
  token?: string;
  /** read: the highest order id among the newest orders the serving node showed. */
  newestOrderId?: number;
  /** token-read: whether the order was there. */
  found?: boolean;
}

/** Codes that say the request changed nothing: the order was not placed. */
export const DEFINITE_REFUSALS = new Set([
  'PRIMARY_UNAVAILABLE',
  'INSUFFICIENT_STOCK',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'TIMEOUT',
  // Raised only by reads; in a mutation, by the credential lookup before anything runs.
  'SERVICE_UNAVAILABLE',
]);

export function outcomeOfCode(code: string | undefined): OperationOutcome {
  if (code === undefined) return 'ok';
  return DEFINITE_REFUSALS.has(code) ? 'fail' : 'unknown';
}
