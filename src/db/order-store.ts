import { and, asc, count, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { BadUserInputError, InsufficientStockError, InvalidStateError, NotFoundError, type StockShortage } from '../errors.js';
import type { Executor } from './database.js';
import { claimIdempotencyKey, fingerprintOf, type IdempotencyKey } from './idempotency.js';
import { amountToCents, centsToAmount } from './money.js';
import { countsByParent, pagesByParent } from './pages-by-parent.js';
import { newestFirst, pageRequest, type ConnectionArgs, type Page, type SortOrder } from './pagination.js';
import { violatedConstraint } from './postgres-errors.js';
import type { Planned } from './slot.js';
import { byKey, groupByKey, inTransaction, Store } from './store.js';
import { inventoryLevels, orderItems, orders, products, type OrderItemRow, type OrderRow, type OrderStatus } from './tables/index.js';

export interface OrderFilter {
  customerId?: number;
  status?: OrderStatus;
  /** Inclusive lower and exclusive upper bound of the creation time. */
  createdAfter?: Date;
  createdBefore?: Date;
}

export interface OrderLine {
  productId: number;
  quantity: number;
}

export interface NewOrder {
  customerId: number;
  lines: OrderLine[];
  idempotencyKey?: IdempotencyKey;
}

export interface PlacedOrder {
  order: OrderRow;
  /** True when an earlier call with the same idempotency key placed this order. */
  replayed: boolean;
}

const CANCELLABLE: readonly OrderStatus[] = ['PENDING', 'PAID'];

/** Whether cancelOrder may cancel an order in this status: the one rule cancelOrder, the resolvers and the compiled reads use. */
export function isCancellable(status: OrderStatus): boolean {
  return CANCELLABLE.includes(status);
}

/** SQL of isCancellable over an orders table (or an alias of it). */
export function cancellableSql(table = orders): SQL {
  return sql`${table.status} in (${sql.join(
    CANCELLABLE.map((status) => sql.raw(`'${status}'`)),
    sql`, `,
  )})`;
}

/** Orders newest first: the one definition the store and the compiled reads use. */
export function orderSortOrder(table = orders): SortOrder<OrderRow> {
  return newestFirst<OrderRow>(table);
}

const newest = orderSortOrder();

/** An order's lines as it lists them: in the order they were written. */
export function orderItemOrder(table = orderItems): SQL[] {
  return [asc(table.id)];
}

/** Orders, their items, placing and cancelling them. */
export class OrderStore extends Store {
  ordersByIds(ids: readonly number[]): Promise<(OrderRow | undefined)[]> {
    return this.rowsByIds(orders, ids);
  }

  ordersByNumbers(numbers: readonly string[]): Promise<(OrderRow | undefined)[]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(orders)
        .where(inArray(orders.number, [...numbers]));
      return byKey(numbers, rows, (row) => row.number!);
    });
  }

  /** Orders, newest first. */
  ordersPage(filter: OrderFilter, args: ConnectionArgs): Promise<Page<OrderRow>> {
    return this.keysetPage(orders, orderConditions(filter), newest, args);
  }

  ordersCount(filter: OrderFilter): Promise<number> {
    return this.run(async (db) => {
      const [row] = await db.select({ total: count() }).from(orders).where(orderConditions(filter));
      return row?.total ?? 0;
    });
  }

  /**
   * One page of orders, newest first, for each customer. Async, so a bad cursor fails the
   * DataLoader batch as a rejection (BAD_USER_INPUT), not as a synchronous throw it reports as its own fault.
   */
  async ordersPagesByCustomer(customerIds: readonly number[], args: ConnectionArgs): Promise<Page<OrderRow>[]> {
    const request = pageRequest(args, newest);
    return this.run((db) =>
      pagesByParent(db, {
        table: orders,
        parentColumn: orders.customerId,
        parentIds: customerIds,
        order: newest,
        request,
      }),
    );
  }

  ordersCountByCustomer(customerIds: readonly number[]): Promise<number[]> {
    return this.run((db) => countsByParent(db, { table: orders, parentColumn: orders.customerId, parentIds: customerIds }));
  }

  itemsByOrderIds(orderIds: readonly number[]): Promise<OrderItemRow[][]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(orderItems)
        .where(inArray(orderItems.orderId, [...orderIds]))
        .orderBy(asc(orderItems.orderId), ...orderItemOrder());
      return groupByKey(orderIds, rows, (row) => row.orderId);
    });
  }

  /**
   * Places an order in one transaction: locks the stock rows of its products, refuses with
   * INSUFFICIENT_STOCK when any product is short, takes the units from the warehouses with
   * the most available stock, and writes the order and its items at today's prices.
   * With an idempotency key, a repeated call from the same caller returns the order of the first call.
   */
  placeOrder(request: NewOrder): Promise<PlacedOrder> {
    const lines = mergeLines(request.lines);
    const fingerprint = fingerprintOf({ customerId: request.customerId, lines });
    // With a key, the whole call is safe to repeat: a repeat finds the order by its key.
    return this.write(
      async (db) => {
        if (request.idempotencyKey !== undefined) {
          const earlier = await orderForKey(db, request.idempotencyKey, fingerprint);
          if (earlier) return { order: earlier, replayed: true };
        }
        try {
          const order = await inTransaction(db, (tx) => insertOrder(tx, request, lines, fingerprint));
          return { order, replayed: false };
        } catch (error) {
          // A concurrent call with the same key committed first; its order is the answer.
          if (request.idempotencyKey !== undefined && violatedConstraint(error, 'unique') === 'orders_idempotency_caller_key_key') {
            const earlier = await orderForKey(db, request.idempotencyKey, fingerprint);
            if (earlier) return { order: earlier, replayed: true };
          }
          if (violatedConstraint(error, 'foreign-key') === 'orders_customer_id_customers_id_fk') {
            throw new NotFoundError('Customer', request.customerId);
          }
          throw error;
        }
      },
      { idempotent: request.idempotencyKey !== undefined },
    );
  }

  /** Cancels an order that has not shipped yet and puts its units back in stock. */
  cancelOrder(orderId: number, key?: IdempotencyKey): Promise<CancelledOrder> {
    return this.write((db) => inTransaction(db, (tx) => cancelIn(tx, orderId, key)), { idempotent: key !== undefined });
  }
}

/** An order after cancelOrder, and whether an earlier call with the same idempotency key cancelled it. */
export interface CancelledOrder {
  order: OrderRow;
  replayed: boolean;
}

/**
 * Cancels an order in `tx`. With an idempotency key that an earlier call cancelled this order
 * with, it changes nothing and answers that call's outcome again (the order as it is now).
 */
async function cancelIn(tx: Executor, orderId: number, key: IdempotencyKey | undefined): Promise<CancelledOrder> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!order) throw new NotFoundError('Order', orderId);
  if (key && (await claimIdempotencyKey(tx, key, 'cancelOrder', fingerprintOf({ orderId })))) return { order, replayed: true };
  if (!isCancellable(order.status)) {
    throw new InvalidStateError(
      'NOT_CANCELLABLE',
      `This order is ${order.status} and can no longer be cancelled; only ${CANCELLABLE.join(' or ')} orders can.`,
      {
        field: 'id',
        status: order.status,
      },
    );
  }
  const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId));
  await changeStock(
    tx,
    items.map((item) => ({ productId: item.productId, warehouseId: item.warehouseId, delta: item.quantity })),
  );
  await countSold(
    tx,
    items.map((item) => ({ productId: item.productId, quantity: -item.quantity })),
  );
  const [cancelled] = await tx
    .update(orders)
    .set({ status: 'CANCELLED', updatedAt: sql`now()` })
    .where(eq(orders.id, orderId))
    .returning();
  return { order: cancelled!, replayed: false };
}

/** Order filter fields that only ever become a parameter: slots of a compiled read. */
export const ORDER_FILTER_PARAMETERS = ['customerId', 'status', 'createdAfter', 'createdBefore'] as const;

export type PlannedOrderFilter = Planned<OrderFilter, (typeof ORDER_FILTER_PARAMETERS)[number]>;

/** Filter fields whose selectivity depends on their value (a time window may be narrow or wide); see VALUE_SENSITIVE_PRODUCT_FILTERS. */
export const VALUE_SENSITIVE_ORDER_FILTERS: readonly (keyof OrderFilter)[] = ['createdAfter', 'createdBefore'];

/** The conditions of an order filter on `table`: the one definition the store and the compiled reads use. */
export function orderConditions(filter: PlannedOrderFilter, table = orders): SQL | undefined {
  return and(
    filter.customerId === undefined ? undefined : eq(table.customerId, filter.customerId),
    filter.status === undefined ? undefined : eq(table.status, filter.status),
    filter.createdAfter === undefined ? undefined : gte(table.createdAt, filter.createdAfter),
    filter.createdBefore === undefined ? undefined : lt(table.createdAt, filter.createdBefore),
  );
}

/** One line per product, quantities summed, in product order (the order rows are locked in). */
function mergeLines(lines: OrderLine[]): OrderLine[] {
  const quantities = new Map<number, number>();
  for (const line of lines) quantities.set(line.productId, (quantities.get(line.productId) ?? 0) + line.quantity);
  return [...quantities].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => a.productId - b.productId);
}

/** Keeps products' units sold (the best-selling order) in step with the orders that are not cancelled. */
async function countSold(tx: Executor, lines: OrderLine[]): Promise<void> {
  const list = (values: number[]) => `{${values.join(',')}}`;
  await tx.execute(sql`
    update ${products} as product
    set units_sold = product.units_sold + sold.quantity
    from unnest(${list(lines.map((line) => line.productId))}::int4[], ${list(lines.map((line) => line.quantity))}::int4[]) as sold(product_id, quantity)
    where product.id = sold.product_id`);
}

/**
 * The order an earlier call with this key placed, if any. Locking it writes WAL and so makes
 * this statement's commit wait for the synchronous standby, past the earlier order's commit:
 * that one may have committed on the primary alone (a cancel reached it while it waited for
 * its standby), and a replay must not acknowledge an order that only one node holds.
 */
async function orderForKey(db: Executor, { caller, key }: IdempotencyKey, fingerprint: string): Promise<OrderRow | undefined> {
  const [order] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.idempotencyCaller, caller), eq(orders.idempotencyKey, key)))
    .for('update');
  if (order && order.requestFingerprint !== fingerprint) {
    throw new BadUserInputError(
      'This idempotencyKey was already used for a different order; use a new key for a new order.',
      'idempotencyKey',
      { reason: 'IDEMPOTENCY_KEY_REUSED' },
    );
  }
  return order;
}

interface Allocation {
  productId: number;
  warehouseId: number;
  quantity: number;
}

async function insertOrder(tx: Executor, request: NewOrder, lines: OrderLine[], fingerprint: string): Promise<OrderRow> {
  const productIds = lines.map((line) => line.productId);
  const productRows = await tx.select().from(products).where(inArray(products.id, productIds));
  const productsById = new Map(productRows.map((row) => [row.id, row]));
  for (const { productId } of lines) {
    const product = productsById.get(productId);
    if (!product) throw new NotFoundError('Product', productId);
    if (product.status !== 'ACTIVE') {
      throw new BadUserInputError(`Product ${product.sku} is ${product.status} and cannot be ordered.`, 'items', {
        reason: 'NOT_ORDERABLE',
      });
    }
  }
  const currencies = new Set(productRows.map((row) => row.currency));
  if (currencies.size > 1) {
    throw new BadUserInputError(
      `The products are priced in different currencies (${[...currencies].join(', ')}); place one order per currency.`,
      'items',
      { reason: 'CURRENCY_MISMATCH' },
    );
  }

  // Locks in (product, warehouse) order, so concurrent orders never wait on each other in a cycle.
  const stock = await tx
    .select()
    .from(inventoryLevels)
    .where(inArray(inventoryLevels.productId, productIds))
    .orderBy(asc(inventoryLevels.productId), asc(inventoryLevels.warehouseId))
    .for('update');
  const { allocations, shortages } = allocate(lines, stock);
  if (shortages.length > 0) throw new InsufficientStockError(shortages, 'items');
  await changeStock(
    tx,
    allocations.map((allocation) => ({ ...allocation, delta: -allocation.quantity })),
  );

  await countSold(tx, lines);

  let totalCents = 0n;
  for (const { productId, quantity } of lines) totalCents += amountToCents(productsById.get(productId)!.priceAmount) * BigInt(quantity);
  const [order] = await tx
    .insert(orders)
    .values({
      customerId: request.customerId,
      totalAmount: centsToAmount(totalCents),
      currency: productRows[0]!.currency,
      idempotencyKey: request.idempotencyKey?.key,
      idempotencyCaller: request.idempotencyKey?.caller,
      requestFingerprint: fingerprint,
    })
    .returning();
  await tx.insert(orderItems).values(
    allocations.map((allocation) => ({
      orderId: order!.id,
      productId: allocation.productId,
      warehouseId: allocation.warehouseId,
      quantity: allocation.quantity,
      unitPrice: productsById.get(allocation.productId)!.priceAmount,
    })),
  );
  return order!;
}

/** Takes each line's units from the warehouses with the most available stock first. */
function allocate(lines: OrderLine[], stock: { productId: number; warehouseId: number; onHand: number; reserved: number }[]) {
  const allocations: Allocation[] = [];
  const shortages: StockShortage[] = [];
  for (const line of lines) {
    const candidates = stock
      .filter((row) => row.productId === line.productId && row.onHand > row.reserved)
      .map((row) => ({ warehouseId: row.warehouseId, available: row.onHand - row.reserved }))
      .sort((a, b) => b.available - a.available || a.warehouseId - b.warehouseId);
    const available = candidates.reduce((sum, row) => sum + row.available, 0);
    if (available < line.quantity) {
      shortages.push({ productId: line.productId, requested: line.quantity, available });
      continue;
    }
    let remaining = line.quantity;
    for (const candidate of candidates) {
      if (remaining === 0) break;
      const quantity = Math.min(remaining, candidate.available);
      allocations.push({ productId: line.productId, warehouseId: candidate.warehouseId, quantity });
      remaining -= quantity;
    }
  }
  return { allocations, shortages };
}

/** Applies stock changes to existing rows in one statement. */
async function changeStock(tx: Executor, changes: { productId: number; warehouseId: number; delta: number }[]): Promise<void> {
  if (changes.length === 0) return;
  const list = (values: number[]) => `{${values.join(',')}}`;
  await tx.execute(sql`
    update ${inventoryLevels} as level
    set on_hand = level.on_hand + change.delta, updated_at = now()
    from unnest(
      ${list(changes.map((c) => c.productId))}::int4[],
      ${list(changes.map((c) => c.warehouseId))}::int4[],
      ${list(changes.map((c) => c.delta))}::int4[]
    ) as change(product_id, warehouse_id, delta)
    where level.product_id = change.product_id and level.warehouse_id = change.warehouse_id`);
}
