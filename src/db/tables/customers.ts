import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const customers = pgTable(
  'customers',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /**
     * The public face of the customer on reviews: the first name and the last name's initial
     * ("Anna K."), or the one name there is. Computed by PostgreSQL from the name, so every
     * reader gets the same text.
     */
    displayName: text('display_name').generatedAlwaysAs(
      sql.raw(
        "case when btrim(name) ~ '\\s' then split_part(regexp_replace(btrim(name), '\\s+', ' ', 'g'), ' ', 1) || ' ' || upper(left(regexp_replace(btrim(name), '^.*\\s', ''), 1)) || '.' else btrim(name) end",
      ),
    ),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    // One account per address, whatever its letter case.
    uniqueIndex('customers_email_key').on(sql`lower(${table.email})`),
    index('customers_created_at_idx').on(table.createdAt, table.id),
    // Substring search on names and addresses (`ILIKE '%fragment%'`) through trigrams.
    index('customers_name_trgm_idx').using('gin', sql`${table.name} gin_trgm_ops`),
    index('customers_email_trgm_idx').using('gin', sql`${table.email} gin_trgm_ops`),
  ],
);

export type CustomerRow = typeof customers.$inferSelect;
