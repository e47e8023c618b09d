import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgEnum, pgTable, text, timestamp, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';

export const productStatus = pgEnum('product_status', ['ACTIVE', 'DRAFT', 'ARCHIVED']);

/** A tree of categories: a root has no parent. */
export const categories = pgTable(
  'categories',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    parentId: integer('parent_id').references((): AnyPgColumn => categories.id),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('categories_slug_key').on(table.slug),
    index('categories_parent_id_idx').on(table.parentId, table.name, table.id),
  ],
);

export const products = pgTable(
  'products',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Exact decimal: read and written as a string, never a float. */
    priceAmount: numeric('price_amount', { precision: 12, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    status: productStatus('status').notNull().default('ACTIVE'),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('products_sku_key').on(table.sku),
    check('products_price_amount_check', sql`${table.priceAmount} >= 0`),
    check('products_currency_check', sql`${table.currency} ~ '^[A-Z]{3}$'`),
    index('products_category_name_idx').on(table.categoryId, table.name, table.id),
    index('products_name_idx').on(table.name, table.id),
    index('products_price_idx').on(table.priceAmount, table.id),
    index('products_created_at_idx').on(table.createdAt, table.id),
    // Substring search on names (`ILIKE '%fragment%'`) through trigrams.
    index('products_name_trgm_idx').using('gin', sql`${table.name} gin_trgm_ops`),
  ],
);

export type CategoryRow = typeof categories.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
