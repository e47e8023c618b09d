import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import {
  AuthenticationThrottledError,
  InsufficientStockError,
  NotFoundError,
  QueryTooComplexError,
  RateLimitedError,
  ShopGraphError,
  type ErrorCode,
} from '../errors.js';
import { toGlobalId, type NodeType } from './ids.js';

/**
 * Codes that Apollo Server and graphql-js give to errors in the client's own request
 * (syntax, validation, variables). Their messages describe the request, so they pass.
 */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export const INTERNAL_ERROR_MESSAGE = 'Something went wrong on our side. Quote the requestId when you report it.';

/**
 * The one place errors become what a client sees (Apollo's `formatError`): a stable
 * `extensions.code`, a message a person can act on, and no SQL, stack or host name.
 * Anything unexpected becomes INTERNAL_SERVER_ERROR; the request id is added by the
 * error-reporting plugin, which also logs the original.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const { locations, path } = formatted;
  const original = shopGraphErrorIn(error);
  if (original) {
    return { message: original.message, locations, path, extensions: { code: original.code, ...publicDetails(original) } };
  }
  const code = formatted.extensions?.code;
  const tokenLimit = code === 'GRAPHQL_PARSE_FAILED' ? /more tha[nt] (\d+) tokens/.exec(formatted.message) : null;
  if (tokenLimit) {
    const tooMany = new QueryTooComplexError(
      'The document has more tokens than allowed',
      'tokens',
      Number(tokenLimit[1]) + 1,
      Number(tokenLimit[1]),
    );
    return { message: tooMany.message, extensions: { code: tooMany.code, ...tooMany.details } };
  }
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { message: formatted.message, locations, path, extensions: { code } };
  }
  if (isRefusedRequest(error)) return { message: formatted.message, locations, path, extensions: { code: 'BAD_REQUEST' } };
  return { message: INTERNAL_ERROR_MESSAGE, locations, path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Facts for the client, with database ids turned into the global ids the client knows. */
function publicDetails(error: ShopGraphError): Record<string, unknown> {
  if (error instanceof NotFoundError) return { type: error.typeName, id: toGlobalId(error.typeName as NodeType, error.rowId) };
  if (error instanceof InsufficientStockError) {
    return {
      shortages: error.shortages.map(({ warehouseId, ...shortage }) => ({
        ...shortage,
        productId: toGlobalId('Product', shortage.productId),
        ...(warehouseId === undefined ? {} : { warehouseId: toGlobalId('Warehouse', warehouseId) }),
      })),
    };
  }
  return { ...error.details };
}

/** Whether an error reached the client as INTERNAL_SERVER_ERROR (so it must be logged). */
export function isUnexpected(error: unknown): boolean {
  return (
    shopGraphErrorIn(error) === undefined &&
    !REQUEST_ERROR_CODES.has(String((error as { extensions?: { code?: unknown } }).extensions?.code)) &&
    !isRefusedRequest(error)
  );
}

/**
 * A request Apollo Server refused with a 4xx status but no code of its own (a persisted query
 * whose hash does not match its text, an unsupported persisted query version): the client's
 * mistake, answered as BAD_REQUEST with Apollo's message.
 */
function isRefusedRequest(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** HTTP status of a request that fails as a whole with this code (field errors keep 200). */
const REQUEST_STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  QUERY_TOO_COMPLEX: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
};

/**
 * A ShopGraph error that ends the request before execution (thrown from the context or a
 * plugin), with its HTTP status and, for RATE_LIMITED, a Retry-After header.
 */
export function requestError(error: ShopGraphError): GraphQLError {
  const headers = new Map<string, string>();
  if (error instanceof RateLimitedError || error instanceof AuthenticationThrottledError)
    headers.set('retry-after', String(error.retryAfterSeconds));
  if (error.code === 'UNAUTHENTICATED') headers.set('www-authenticate', 'Bearer realm="shopgraph"');
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status: REQUEST_STATUS[error.code] ?? 400, headers } },
  });
}

/** The ShopGraph error behind what graphql-js or Apollo hands over, if any. */
function shopGraphErrorIn(error: unknown): ShopGraphError | undefined {
  const unwrapped = unwrapResolverError(error);
  if (unwrapped instanceof ShopGraphError) return unwrapped;
  if (unwrapped instanceof GraphQLError && unwrapped.originalError instanceof ShopGraphError) return unwrapped.originalError;
  return undefined;
}
