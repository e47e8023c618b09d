import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Idempotency keys of the stock mutations other than placeOrder (whose keys live on its
 * orders): written in the same transaction as the change they guard, so a key is stored
 * exactly when its change committed, and a retry with the same key finds it and changes
 * nothing. Keys are the caller's own: two partners' same key are two keys.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Who sent the key: a stable id of the credential (an API key, a token's issuer and subject). */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    /** The mutation the key was used for, for example "adjustInventory". */
    mutation: text('mutation').notNull(),
    /** Hash of the request, so a key reused for a different request is refused. */
    requestFingerprint: text('request_fingerprint').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ name: 'idempotency_keys_pkey', columns: [table.caller, table.key] })],
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
