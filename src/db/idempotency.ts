import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { BadUserInputError } from '../errors.js';
import type { Executor } from './database.js';
import { idempotencyKeys } from './tables/index.js';

/** A client's idempotency key, which is that caller's own: another caller's same key is another key. */
export interface IdempotencyKey {
  /** Who sent it: a stable id of the credential (an API key, a token's issuer and subject). */
  caller: string;
  key: string;
}

/** A stable digest of what a request asks for, so a key reused for another request is told apart. */
export function fingerprintOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/**
 * Claims `key` for one request of `mutation` inside the transaction that makes its change, so
 * the key is stored exactly when the change commits. Returns true when an earlier request
 * with this key committed already (the caller then changes nothing and answers as a replay),
 * after waiting for a concurrent one to finish. The earlier row is locked, which writes WAL
 * and so makes this transaction's commit wait for the synchronous standby, past the earlier
 * commit: a replay never acknowledges a change that only the primary holds (as orderForKey).
 */
export async function claimIdempotencyKey(
  tx: Executor,
  { caller, key }: IdempotencyKey,
  mutation: string,
  fingerprint: string,
): Promise<boolean> {
  const claimed = await tx
    .insert(idempotencyKeys)
    .values({ caller, key, mutation, requestFingerprint: fingerprint })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed.length > 0) return false;
  const [earlier] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key)))
    .for('update');
  if (earlier && (earlier.mutation !== mutation || earlier.requestFingerprint !== fingerprint)) {
    throw new BadUserInputError(
      'This idempotencyKey was already used for a different request; use a new key for a new request.',
      'idempotencyKey',
      { reason: 'IDEMPOTENCY_KEY_REUSED' },
    );
  }
  return true;
}
