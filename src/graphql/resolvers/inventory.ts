import { BadUserInputError } from '../../errors.js';
import { connectionResolvers, connectionSource } from '../connection.js';
import type { InventoryLevelResolvers, MutationResolvers, QueryResolvers, Resolvers, WarehouseResolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, idempotencyKey, integer } from '../inputs.js';
import type { InventoryLevelRow } from '../mappers.js';
import { withUserErrors } from '../user-errors.js';
import { loadReferenced } from './load.js';

const MAX_ADJUSTMENT = 1_000_000;

const Query: QueryResolvers = {
  warehouses: (_, __, ctx) => ctx.stores.inventory.warehouses(),
};

const Mutation: MutationResolvers = {
  adjustInventory: (_, { input }, ctx, info) =>
    withUserErrors(info, { inventoryLevel: null, product: null, replayed: false }, async () => {
      const productId = decodeIdOf('Product', input.productId, 'input.productId');
      const delta = integer(input.delta, 'input.delta', -MAX_ADJUSTMENT, MAX_ADJUSTMENT);
      if (delta === 0)
        throw new BadUserInputError('input.delta must not be 0: give the units to add (positive) or remove (negative).', 'input.delta');
      const warehouseId = decodeIdOf('Warehouse', input.warehouseId, 'input.warehouseId');
      const change = await fromInput(
        ctx.stores.inventory.adjustOnHand(productId, warehouseId, delta, idempotencyKey(input.idempotencyKey, ctx.caller)),
      );
      return {
        inventoryLevel: change.level,
        replayed: change.replayed,
        product: await loadReferenced(ctx.loaders.product, productId, 'product'),
      };
    }),
  setInventory: (_, { input }, ctx, info) =>
    withUserErrors(info, { inventoryLevel: null, replayed: false }, async () => {
      const productId = decodeIdOf('Product', input.productId, 'input.productId');
      const onHand = integer(input.onHand, 'input.onHand', 0, MAX_ADJUSTMENT);
      const warehouseId = decodeIdOf('Warehouse', input.warehouseId, 'input.warehouseId');
      const change = await fromInput(
        ctx.stores.inventory.setOnHand(productId, warehouseId, onHand, idempotencyKey(input.idempotencyKey, ctx.caller)),
      );
      return { inventoryLevel: change.level, replayed: change.replayed };
    }),
};

const Warehouse: WarehouseResolvers = {
  id: (row) => toGlobalId('Warehouse', row.id),
  stock: (row, args, ctx) =>
    connectionSource(
      args,
      () => ctx.loaders.stockPagesByWarehouse(args).load(row.id),
      () => ctx.loaders.stockCountByWarehouse.load(row.id),
    ),
};

const InventoryLevel: InventoryLevelResolvers = {
  product: (row, _, ctx) => loadReferenced(ctx.loaders.product, row.productId, 'product'),
  warehouse: (row, _, ctx) => loadReferenced(ctx.loaders.warehouse, row.warehouseId, 'warehouse'),
  available: (row) => row.onHand - row.reserved,
};

export const inventoryResolvers = {
  Query,
  Mutation,
  Warehouse,
  InventoryLevel,
  InventoryLevelConnection: connectionResolvers<InventoryLevelRow>(),
} satisfies Resolvers;
