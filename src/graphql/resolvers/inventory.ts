import { BadUserInputError } from '../../errors.js';
import type { InventoryLevelResolvers, MutationResolvers, QueryResolvers, Resolvers, WarehouseResolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, integer } from '../inputs.js';
import { loadReferenced } from './load.js';

const MAX_ADJUSTMENT = 1_000_000;

const Query: QueryResolvers = {
  warehouses: (_, __, ctx) => ctx.stores.inventory.warehouses(),
};

const Mutation: MutationResolvers = {
  adjustInventory: async (_, { input }, ctx) => {
    const productId = decodeIdOf('Product', input.productId, 'input.productId');
    const delta = integer(input.delta, 'input.delta', -MAX_ADJUSTMENT, MAX_ADJUSTMENT);
    if (delta === 0)
      throw new BadUserInputError('input.delta must not be 0: give the units to add (positive) or remove (negative).', 'input.delta');
    const warehouseId = decodeIdOf('Warehouse', input.warehouseId, 'input.warehouseId');
    const inventoryLevel = await fromInput(ctx.stores.inventory.adjustOnHand(productId, warehouseId, delta));
    return { inventoryLevel, product: await loadReferenced(ctx.loaders.product, productId, 'product') };
  },
};

const Warehouse: WarehouseResolvers = {
  id: (row) => toGlobalId('Warehouse', row.id),
};

const InventoryLevel: InventoryLevelResolvers = {
  warehouse: (row, _, ctx) => loadReferenced(ctx.loaders.warehouse, row.warehouseId, 'warehouse'),
  available: (row) => row.onHand - row.reserved,
};

export const inventoryResolvers = { Query, Mutation, Warehouse, InventoryLevel } satisfies Resolvers;
