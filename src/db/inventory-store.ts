import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { InsufficientStockError, InvalidStateError, NotFoundError } from '../errors.js';
import { claimIdempotencyKey, fingerprintOf, type IdempotencyKey } from './idempotency.js';
import { countsByParent, pagesByParent } from './pages-by-parent.js';
import { pageRequest, type ConnectionArgs, type Page, type SortOrder } from './pagination.js';
import { violatedConstraint } from './postgres-errors.js';
import { groupByKey, inTransaction, Store } from './store.js';
import { inventoryLevels, warehouses, type InventoryLevelRow, type WarehouseRow } from './tables/index.js';

/** Warehouses by code: the one order the store and the compiled reads use. */
export function warehouseOrder(table = warehouses): SQL[] {
  return [asc(table.code)];
}

/** A product's stock rows by warehouse (the product's own order is the store's batching). */
export function stockOrder(table = inventoryLevels): SQL[] {
  return [asc(table.warehouseId)];
}

/** A warehouse's stock rows by product: the one order the store and the compiled reads use. */
export function warehouseStockOrder(table = inventoryLevels): SortOrder<InventoryLevelRow> {
  return {
    name: 'PRODUCT_ASC',
    column: table.productId,
    id: table.productId,
    descending: false,
    sqlType: 'int4',
    valueOf: (row) => row.productId,
    idOf: (row) => row.productId,
  };
}

const byProduct = warehouseStockOrder();

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

  /** One page of each warehouse's stock rows, by product. */
  async levelsPagesByWarehouse(warehouseIds: readonly number[], args: ConnectionArgs): Promise<Page<InventoryLevelRow>[]> {
    const request = pageRequest(args, byProduct);
    return this.run((db) =>
      pagesByParent(db, {
        table: inventoryLevels,
        parentColumn: inventoryLevels.warehouseId,
        parentIds: warehouseIds,
        order: byProduct,
        request,
      }),
    );
  }

  levelsCountByWarehouse(warehouseIds: readonly number[]): Promise<number[]> {
    return this.run((db) =>
      countsByParent(db, { table: inventoryLevels, parentColumn: inventoryLevels.warehouseId, parentIds: warehouseIds }),
    );
  }

  /**
   * Adds `delta` units (negative to remove) to the stock on hand of a product in a warehouse,
   * creating the stock row on first receipt (rolled back with the change when it is refused). Refuses to go below the reserved units
   * (INSUFFICIENT_STOCK). With an idempotency key, a repeated call changes nothing.
   */
  adjustOnHand(productId: number, warehouseId: number, delta: number, key?: IdempotencyKey): Promise<StockChange> {
    const fingerprint = fingerprintOf({ productId, warehouseId, delta });
    return this.changeLevel(productId, warehouseId, key && { key, mutation: 'adjustInventory', fingerprint }, (current) => {
      const available = current.onHand - current.reserved;
      if (delta < 0 && available < -delta)
        throw new InsufficientStockError([{ productId, warehouseId, requested: -delta, available }], 'delta');
      return current.onHand + delta;
    });
  }

  /**
   * Sets the stock on hand of a product in a warehouse to a count, creating the stock row if
   * there is none. Refuses a count below the reserved units (BELOW_RESERVED). With an
   * idempotency key, a repeated call changes nothing.
   */
  setOnHand(productId: number, warehouseId: number, onHand: number, key?: IdempotencyKey): Promise<StockChange> {
    const fingerprint = fingerprintOf({ productId, warehouseId, onHand });
    return this.changeLevel(productId, warehouseId, key && { key, mutation: 'setInventory', fingerprint }, (current) => {
      if (onHand < current.reserved) {
        throw new InvalidStateError(
          'BELOW_RESERVED',
          `${current.reserved} units are reserved in this warehouse; the count on hand cannot be less. Release the reservation first.`,
          { field: 'onHand' },
        );
      }
      return onHand;
    });
  }

  /**
   * One change of one stock row, in a transaction that locks the row, claims the idempotency
   * key (if any) and writes what `next` makes of the row's current state.
   */
  private changeLevel(
    productId: number,
    warehouseId: number,
    idempotency: { key: IdempotencyKey; mutation: string; fingerprint: string } | undefined,
    next: (current: InventoryLevelRow) => number,
  ): Promise<StockChange> {
    const level = and(eq(inventoryLevels.productId, productId), eq(inventoryLevels.warehouseId, warehouseId));
    return this.write(
      async (db) => {
        try {
          return await inTransaction(db, async (tx) => {
            if (idempotency && (await claimIdempotencyKey(tx, idempotency.key, idempotency.mutation, idempotency.fingerprint))) {
              const [now] = await tx.select().from(inventoryLevels).where(level);
              return { level: now!, replayed: true };
            }
            // The row of a first receipt, so that a concurrent first receipt waits for this one's lock instead of failing on the key.
            await tx.insert(inventoryLevels).values({ productId, warehouseId, onHand: 0 }).onConflictDoNothing();
            const [current] = await tx.select().from(inventoryLevels).where(level).for('update');
            const [written] = await tx
              .update(inventoryLevels)
              .set({ onHand: next(current!), updatedAt: sql`now()` })
              .where(level)
              .returning();
            return { level: written!, replayed: false };
          });
        } catch (error) {
          const foreignKey = violatedConstraint(error, 'foreign-key');
          if (foreignKey === 'inventory_levels_product_id_products_id_fk') throw new NotFoundError('Product', productId);
          if (foreignKey === 'inventory_levels_warehouse_id_warehouses_id_fk') throw new NotFoundError('Warehouse', warehouseId);
          throw error;
        }
      },
      { idempotent: idempotency !== undefined },
    );
  }
}

/** A stock row after a change, and whether an earlier call with the same idempotency key made it. */
export interface StockChange {
  level: InventoryLevelRow;
  replayed: boolean;
}
