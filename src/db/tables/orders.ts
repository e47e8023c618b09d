import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { products } from './catalog.js';
import { customers } from './customers.js';
import { warehouses } from './inventory.js';

export const orderStatus = pgEnum('order_status', ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']);

export const orders = pgTable(
  'orders',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    /** The human order number ("SG-000042"): what customers quote and partners look orders up by. */
    number: text('number').generatedAlwaysAs(sql.raw("'SG-' || lpad(id::text, greatest(6, length(id::text)), '0')")),
    status: orderStatus('status').notNull().default('PENDING'),
    totalAmount: numeric('total_amount', { precision: 14, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    /** Set by the client; a retried placeOrder with the same key from the same caller returns this order. */
    idempotencyKey: text('idempotency_key'),
    /**
     * Who sent the idempotency key (an API key, a token's issuer and subject): keys are the
     * caller's own, so two partners' keys never collide. Null on orders placed before keys
     * were scoped, and on orders without a key.
     */
    idempotencyCaller: text('idempotency_caller'),
    /** Hash of the order's request, so a key reused for a different order is refused. */
    requestFingerprint: text('request_fingerprint'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('orders_number_key').on(table.number),
    uniqueIndex('orders_idempotency_caller_key_key').on(table.idempotencyCaller, table.idempotencyKey),
    check('orders_total_amount_check', sql`${table.totalAmount} >= 0`),
    index('orders_customer_created_idx').on(table.customerId, table.createdAt, table.id),
    index('orders_created_at_idx').on(table.createdAt, table.id),
    index('orders_status_created_idx').on(table.status, table.createdAt, table.id),
  ],
);

/** One line of an order: a quantity of a product, shipped from one warehouse. */
export const orderItems = pgTable(
  'order_items',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    warehouseId: integer('warehouse_id')
      .notNull()
      .references(() => warehouses.id),
    quantity: integer('quantity').notNull(),
    unitPrice: numeric('unit_price', { precision: 12, scale: 2 }).notNull(),
  },
  (table) => [
    check('order_items_quantity_check', sql`${table.quantity} > 0`),
    check('order_items_unit_price_check', sql`${table.unitPrice} >= 0`),
    index('order_items_order_id_idx').on(table.orderId, table.id),
    index('order_items_product_id_idx').on(table.productId),
  ],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type OrderStatus = (typeof orderStatus.enumValues)[number];
