import type postgres from 'postgres';
import type { FinalState } from './checker.js';

/**
 * What the history checker compares the clients' history with, read on the primary with
 * `sql` (a connection straight to it): stock before a run, and the run's orders and the
 * stock left after it.
 */

/** Units on hand of each of the first `products` products, summed over warehouses. */
export async function stockOf(sql: postgres.Sql, products: number): Promise<Map<number, number>> {
  const rows = await sql<{ product: number; units: string }[]>`
    select product_id as product, sum(on_hand)::text as units from inventory_levels
    where product_id <= ${products} group by product_id`;
  return new Map(rows.map((row) => [row.product, Number(row.units)]));
}

/** The orders whose idempotency keys start with `keyPrefix`, their units, and the stock left. */
export async function finalStateOf(
  sql: postgres.Sql,
  keyPrefix: string,
  stockBefore: Map<number, number>,
  products: number,
): Promise<FinalState> {
  const pattern = `${keyPrefix}-%`;
  const orders = await sql<{ key: string; id: number }[]>`
    select idempotency_key as key, id from orders where idempotency_key like ${pattern}`;
  const units = await sql<{ product: number; units: string }[]>`
    select i.product_id as product, sum(i.quantity)::text as units
    from order_items i join orders o on o.id = i.order_id
    where o.idempotency_key like ${pattern} group by i.product_id`;
  const ordersByKey = new Map<string, number[]>();
  for (const row of orders) ordersByKey.set(row.key, [...(ordersByKey.get(row.key) ?? []), row.id]);
  return {
    ordersByKey,
    orderedUnits: new Map(units.map((row) => [row.product, Number(row.units)])),
    stockBefore,
    stockAfter: await stockOf(sql, products),
  };
}
