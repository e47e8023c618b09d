import postgres from 'postgres';
import { causeChain } from '../errors.js';

const SQLSTATE = {
  unique: '23505',
  'foreign-key': '23503',
  check: '23514',
} as const;

/**
 * The name of the constraint a statement violated, when `error` (or one of its causes:
 * drizzle wraps driver errors) is a violation of that kind; stores turn it into a
 * caller-facing error, so constraint names never reach a client.
 */
export function violatedConstraint(error: unknown, kind: keyof typeof SQLSTATE): string | undefined {
  for (const cause of causeChain(error)) {
    if (cause instanceof postgres.PostgresError && cause.code === SQLSTATE[kind]) return cause.constraint_name ?? '';
  }
  return undefined;
}
