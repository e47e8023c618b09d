/**
 * The one error hierarchy of ShopGraph. Every error a client may see is a `ShopGraphError`
 * with a stable `code` from ../shared/DESIGN.md; `src/graphql/errors.ts` is the one place that
 * maps it to `extensions.code` and an HTTP status. Messages are written for the caller and
 * never carry SQL, stack traces or host names; the original failure rides along as `cause`
 * for the server's own log.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'PRIMARY_UNAVAILABLE'
  | 'WRITE_OUTCOME_UNKNOWN'
  | 'SERVICE_UNAVAILABLE'
  | 'TIMEOUT'
  | 'INSUFFICIENT_STOCK'
  | 'INTERNAL_SERVER_ERROR';

/**
 * Why a mutation did not do what it was asked, when the caller can fix it by changing its
 * input: the `UserErrorCode` of the schema. Errors that carry one are the mutations'
 * `userErrors` (src/graphql/user-errors.ts), and top-level errors only for callers that do
 * not select them.
 */
export type UserErrorReason =
  | 'INVALID'
  | 'NOT_FOUND'
  | 'TAKEN'
  | 'INSUFFICIENT_STOCK'
  | 'BELOW_RESERVED'
  | 'NOT_ORDERABLE'
  | 'CURRENCY_MISMATCH'
  | 'NOT_CANCELLABLE'
  | 'ALREADY_REVIEWED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'VERSION_CONFLICT';

export abstract class ShopGraphError extends Error {
  abstract readonly code: ErrorCode;
  /** Set on the failures a caller fixes by changing its input. */
  readonly reason?: UserErrorReason;

  /** Extra facts safe to show a client (the offending field, a retry hint), never internals. */
  details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }

  /**
   * Stores name fields as the domain spells them (`sku`); a mutation's client sent them
   * inside an argument (`input.sku`). The GraphQL layer adds that path here.
   */
  nestFieldUnder(argument: string): this {
    if (typeof this.details.field === 'string') this.details = { ...this.details, field: `${argument}.${this.details.field}` };
    return this;
  }
}

export class BadUserInputError extends ShopGraphError {
  readonly code = 'BAD_USER_INPUT';
  override readonly reason: UserErrorReason;

  /** `field` names the argument or input field at fault, as the client spelled it; `reason` is INVALID unless said. */
  constructor(message: string, field?: string, options?: ErrorOptions & { reason?: UserErrorReason }) {
    super(message, field === undefined ? {} : { field }, options);
    this.reason = options?.reason ?? 'INVALID';
  }
}

export class NotFoundError extends ShopGraphError {
  readonly code = 'NOT_FOUND';
  override readonly reason = 'NOT_FOUND';

  /** `rowId` is the database id; the GraphQL layer shows the client its global id. */
  constructor(
    readonly typeName: string,
    readonly rowId: number,
  ) {
    super(`No ${typeName} exists with the given id.`);
  }
}

export interface StockShortage {
  /** Database id; the GraphQL layer shows it as the product's global id. */
  productId: number;
  /** For a change of one warehouse's stock; an order may take units from any warehouse. */
  warehouseId?: number;
  requested: number;
  available: number;
}

export class InsufficientStockError extends ShopGraphError {
  readonly code = 'INSUFFICIENT_STOCK';
  override readonly reason = 'INSUFFICIENT_STOCK';

  /** `field` names the input field that asked for the units (`items`, `delta`). */
  constructor(
    readonly shortages: readonly StockShortage[],
    field: string,
  ) {
    super(
      `Not enough stock available for ${shortages.length === 1 ? 'one product' : `${shortages.length} products`} (see the shortages); nothing was changed.`,
      { shortages, field },
    );
  }
}

export class UnauthenticatedError extends ShopGraphError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends ShopGraphError {
  readonly code = 'FORBIDDEN';
}

/** A request over one of the static limits, refused before it runs. */
export class QueryTooComplexError extends ShopGraphError {
  readonly code = 'QUERY_TOO_COMPLEX';

  constructor(description: string, limit: string, actual: number, maximum: number) {
    super(
      `${description}: ${actual}, over the limit of ${maximum}. Ask for less (smaller pages, fewer nested lists) or split the request.`,
      {
        limit,
        actual,
        maximum,
      },
    );
  }
}

/** The caller's cost bucket does not hold enough points for this request yet. */
export class RateLimitedError extends ShopGraphError {
  readonly code = 'RATE_LIMITED';

  constructor(
    readonly retryAfterSeconds: number,
    cost: number,
    available: number,
  ) {
    super(`This request costs ${cost} points and ${available} are available; the bucket refills, retry in ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
      cost,
      available,
    });
  }
}

/**
 * One client address failed to authenticate too often: its requests with credentials are
 * refused without a look at them until its allowance refills.
 */
export class AuthenticationThrottledError extends ShopGraphError {
  readonly code = 'RATE_LIMITED';

  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentications from your address; check the key or token, and retry in ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
    });
  }
}

/** The request ran out of time; its statements were cancelled. */
export class RequestTimeoutError extends ShopGraphError {
  readonly code = 'TIMEOUT';

  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(
      `The request took longer than ${timeoutMs / 1000} s and was stopped; nothing it was writing was saved. Ask for less, or retry.`,
      {},
      options,
    );
  }
}

/** A business rule refuses a change to the current state (for example cancelling a shipped order). */
export class InvalidStateError extends ShopGraphError {
  readonly code = 'BAD_USER_INPUT';

  constructor(
    override readonly reason: UserErrorReason,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}

/** A change made against a version of a row that is no longer the current one. */
export class VersionConflictError extends ShopGraphError {
  readonly code = 'BAD_USER_INPUT';
  override readonly reason = 'VERSION_CONFLICT';

  constructor(
    typeName: string,
    readonly currentVersion: number,
  ) {
    super(
      `The ${typeName} changed since the version you read; it is at version ${currentVersion} now. Read it again, apply your change to it, and send that version.`,
      { field: 'expectedVersion', currentVersion },
    );
  }
}

export class PrimaryUnavailableError extends ShopGraphError {
  readonly code = 'PRIMARY_UNAVAILABLE';

  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(
      `Writes are unavailable right now (${reason}); nothing was changed. Reads still work. Retry in ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
      options,
    );
  }
}

export class WriteOutcomeUnknownError extends ShopGraphError {
  readonly code = 'WRITE_OUTCOME_UNKNOWN';

  constructor(options?: ErrorOptions) {
    super(
      'The database connection was lost while this write was in flight, so it may or may not have been applied. ' +
        'Read the data back before retrying, or send an idempotency key so a retry is safe.',
      {},
      options,
    );
  }
}

/** No database node could serve a read (every candidate failed or none is up). */
export class ServiceUnavailableError extends ShopGraphError {
  readonly code = 'SERVICE_UNAVAILABLE';

  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(`The data cannot be read right now (${reason}). Retry in ${retryAfterSeconds} s.`, { retryAfterSeconds }, options);
  }
}

export class InternalError extends ShopGraphError {
  readonly code = 'INTERNAL_SERVER_ERROR';
}

/** The error and its chain of causes, outermost first (drizzle wraps driver errors). */
export function* causeChain(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * What may be logged about an error: its class, its stable code, the message when we wrote
 * it, and the SQLSTATE and constraint of a database error. Database, driver and system
 * messages are left out: they can carry SQL, host names or the values of parameters.
 */
export function safeErrorFields(error: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  const chain = [...causeChain(error)];
  const outer = chain[0];
  fields.error = outer instanceof Error ? outer.name : typeof outer;
  for (const cause of chain) {
    if (cause instanceof ShopGraphError) {
      fields.code ??= cause.code;
      fields.message ??= cause.message;
    } else if (isServerError(cause)) {
      fields.sqlstate ??= cause.code;
      if (cause.constraint_name) fields.constraint ??= cause.constraint_name;
    } else if (cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string') {
      fields.cause ??= (cause as NodeJS.ErrnoException).code!;
    }
  }
  return fields;
}

/** A PostgreSQL server error (postgres.js `PostgresError`): a five-character SQLSTATE. */
export function isServerError(error: unknown): error is Error & { code: string; constraint_name?: string } {
  return error instanceof Error && error.name === 'PostgresError' && /^[0-9A-Z]{5}$/.test((error as { code?: unknown }).code as string);
}
