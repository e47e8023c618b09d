import { getNamedType, isObjectType, type GraphQLResolveInfo } from 'graphql';
import { collectSubfields } from 'graphql/execution/collectFields.js';
import { InsufficientStockError, ShopGraphError, VersionConflictError, type StockShortage, type UserErrorReason } from '../errors.js';

/** A failure the caller can fix by changing its input, as a payload's `userErrors` lists it. */
export interface UserErrorSource {
  code: UserErrorReason;
  field: string[] | null;
  message: string;
  shortages?: readonly StockShortage[];
  currentVersion?: number;
}

/**
 * Runs a mutation and returns its payload. A failure the caller can fix (an error with a
 * `reason`) becomes the payload's `userErrors` when the operation selects them, with the
 * payload's other fields null; for an operation that does not, it stays a top-level error, as
 * it was before payloads had userErrors (deprecated; see the README). Every other failure
 * (authorization, limits, availability) is a top-level error either way.
 */
export async function withUserErrors<Done extends object, Failed extends object>(
  info: GraphQLResolveInfo,
  failed: Failed,
  run: () => Promise<Done>,
): Promise<(Done | Failed) & { userErrors: UserErrorSource[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (!(error instanceof ShopGraphError) || error.reason === undefined || !selectsUserErrors(info)) throw error;
    return { ...failed, userErrors: [userErrorOf(error, error.reason)] };
  }
}

function selectsUserErrors(info: GraphQLResolveInfo): boolean {
  const payload = getNamedType(info.returnType);
  if (!isObjectType(payload)) return false;
  const fields = collectSubfields(info.schema, info.fragments, info.variableValues, payload, info.fieldNodes);
  for (const nodes of fields.values()) if (nodes[0]!.name.value === 'userErrors') return true;
  return false;
}

function userErrorOf(error: ShopGraphError, code: UserErrorReason): UserErrorSource {
  const field = typeof error.details.field === 'string' ? fieldPath(error.details.field) : null;
  const userError: UserErrorSource = { code, field, message: error.message };
  if (error instanceof InsufficientStockError) userError.shortages = error.shortages;
  if (error instanceof VersionConflictError) userError.currentVersion = error.currentVersion;
  return userError;
}

/** "input.items[0].quantity" as the path ["input", "items", "0", "quantity"]. */
function fieldPath(field: string): string[] {
  return field.split(/[.[\]]+/).filter(Boolean);
}

/** The schema type of a user error, for the UserError interface. */
export function userErrorTypeOf(error: UserErrorSource): 'InsufficientStockError' | 'VersionConflictError' | 'BasicUserError' {
  if (error.shortages) return 'InsufficientStockError';
  if (error.currentVersion !== undefined) return 'VersionConflictError';
  return 'BasicUserError';
}
