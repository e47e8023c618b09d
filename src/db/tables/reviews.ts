import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { products } from './catalog.js';
import { customers } from './customers.js';

export const reviews = pgTable(
  'reviews',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    rating: smallint('rating').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    check('reviews_rating_check', sql`${table.rating} between 1 and 5`),
    // A customer reviews a product once.
    uniqueIndex('reviews_product_customer_key').on(table.productId, table.customerId),
    index('reviews_product_created_idx').on(table.productId, table.createdAt, table.id),
    index('reviews_customer_id_idx').on(table.customerId),
  ],
);

export type ReviewRow = typeof reviews.$inferSelect;
