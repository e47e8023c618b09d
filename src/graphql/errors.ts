import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { InsufficientStockError, NotFoundError, ShopGraphError } from '../errors.js';
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
  const original = unwrapResolverError(error);
  if (original instanceof ShopGraphError) {
    return { message: original.message, locations, path, extensions: { code: original.code, ...publicDetails(original) } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { message: formatted.message, locations, path, extensions: { code } };
  }
  return { message: INTERNAL_ERROR_MESSAGE, locations, path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Facts for the client, with database ids turned into the global ids the client knows. */
function publicDetails(error: ShopGraphError): Record<string, unknown> {
  if (error instanceof NotFoundError) return { type: error.typeName, id: toGlobalId(error.typeName as NodeType, error.rowId) };
  if (error instanceof InsufficientStockError) {
    return { shortages: error.shortages.map((shortage) => ({ ...shortage, productId: toGlobalId('Product', shortage.productId) })) };
  }
  return { ...error.details };
}

/** Whether an error reached the client as INTERNAL_SERVER_ERROR (so it must be logged). */
export function isUnexpected(error: unknown): boolean {
  return (
    !(unwrapResolverError(error) instanceof ShopGraphError) &&
    !REQUEST_ERROR_CODES.has(String((error as { extensions?: { code?: unknown } }).extensions?.code))
  );
}
