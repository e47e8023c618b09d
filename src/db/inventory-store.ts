import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { InsufficientStockError, NotFoundError } from '../errors.js';
import { violatedConstraint } from './postgres-errors.js';
import { groupByKey, Store } from './store.js';
import { inventoryLevels, warehouses, type InventoryLevelRow, type WarehouseRow } from './tables/index.js';

/** Warehouses by code: the one order the store and the compiled reads use. */
export function warehouseOrder(table = warehouses): SQL[] {
  return [asc(table.code)];
}

/** A product's stock rows by warehouse (the product's own order is the store's batching). */
export function stockOrder(table = inventoryLevels): SQL[] {
  return [asc(table.warehouseId)];
}

/** Warehouses and the stock of each product in each of them. */
export class InventoryStore extends Store {
  warehouses(): Promise<WarehouseRow[]> {
    return this.run((db) =>
      db
        .select()
        .from(warehouses)
        .orderBy(...warehouseOrder()),
    );
  }

  warehousesByIds(ids: readonly number[]): Promise<(WarehouseRow | undefined)[]> {
    return this.rowsByIds(warehouses, ids);
  }

  /** Every stock row of each product, by warehouse id. */
  levelsByProductIds(productIds: readonly number[]): Promise<InventoryLevelRow[][]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(inventoryLevels)
        .where(inArray(inventoryLevels.productId, [...productIds]))
        .orderBy(asc(inventoryLevels.productId), ...stockOrder());
      return groupByKey(productIds, rows, (row) => row.productId);
    });
  }

  /**
   * Adds `delta` units (negative to remove) to the stock on hand of a product in a warehouse,
   * creating the stock row on first receipt. Refuses to go below zero or below the reserved
   * units, as the database constraints do.
   */
  adjustOnHand(productId: number, warehouseId: number, delta: number): Promise<InventoryLevelRow> {
    return this.write(async (db) => {
      const level = and(eq(inventoryLevels.productId, productId), eq(inventoryLevels.warehouseId, warehouseId));
      try {
        const [updated] = await db
          .update(inventoryLevels)
          .set({ onHand: sql`${inventoryLevels.onHand} + ${delta}`, updatedAt: sql`now()` })
          .where(level)
          .returning();
        if (updated) return updated;
        if (delta < 0) throw new InsufficientStockError([{ productId, requested: -delta, available: 0 }]);
        // First receipt. A concurrent first receipt may win the insert; then add to its row.
        const [inserted] = await db
          .insert(inventoryLevels)
          .values({ productId, warehouseId, onHand: delta })
          .onConflictDoUpdate({
            target: [inventoryLevels.productId, inventoryLevels.warehouseId],
            set: { onHand: sql`${inventoryLevels.onHand} + excluded.on_hand`, updatedAt: sql`now()` },
          })
          .returning();
        return inserted!;
      } catch (error) {
        if (violatedConstraint(error, 'check') !== undefined) {
          const [current] = await db.select().from(inventoryLevels).where(level);
          const available = current ? current.onHand - current.reserved : 0;
          throw new InsufficientStockError([{ productId, requested: -delta, available }]);
        }
        const foreignKey = violatedConstraint(error, 'foreign-key');
        if (foreignKey === 'inventory_levels_product_id_products_id_fk') throw new NotFoundError('Product', productId);
        if (foreignKey === 'inventory_levels_warehouse_id_warehouses_id_fk') throw new NotFoundError('Warehouse', warehouseId);
        throw error;
      }
    });
  }
}
