import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { products } from './catalog.js';

export const warehouses = pgTable(
  'warehouses',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    city: text('city').notNull(),
    countryCode: text('country_code').notNull(),
  },
  (table) => [uniqueIndex('warehouses_code_key').on(table.code)],
);

/**
 * Stock of one product in one warehouse. `reserved` units are held back (for other sales
 * channels) and cannot be ordered; the database refuses any change that would make a count
 * negative or reserve more than is on hand.
 */
export const inventoryLevels = pgTable(
  'inventory_levels',
  {
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    warehouseId: integer('warehouse_id')
      .notNull()
      .references(() => warehouses.id),
    onHand: integer('on_hand').notNull(),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'inventory_levels_pkey', columns: [table.productId, table.warehouseId] }),
    check('inventory_levels_on_hand_check', sql`${table.onHand} >= 0`),
    check('inventory_levels_reserved_check', sql`${table.reserved} >= 0 and ${table.reserved} <= ${table.onHand}`),
    // A warehouse's stock, one page at a time by product (Warehouse.stock).
    index('inventory_levels_warehouse_product_idx').on(table.warehouseId, table.productId),
  ],
);

export type WarehouseRow = typeof warehouses.$inferSelect;
export type InventoryLevelRow = typeof inventoryLevels.$inferSelect;
