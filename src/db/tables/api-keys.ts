import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Partner API keys. Only a SHA-256 hash of the secret part is stored; the key itself is shown
 * once, when it is created. `id` is the public part of the key (`sg_<id>_<secret>`), so a
 * lookup needs no scan and the hash comparison runs on one row.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    /** Cost points restored per second to the key's rate-limit bucket. */
    ratePerSecond: integer('rate_per_second').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [check('api_keys_rate_check', sql`${table.ratePerSecond} > 0`)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
