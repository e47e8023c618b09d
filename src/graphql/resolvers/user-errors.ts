import type { Resolvers, StockShortageResolvers, UserErrorResolvers } from '../generated/resolvers.js';
import { userErrorTypeOf } from '../user-errors.js';
import { loadReferenced } from './load.js';

const UserError: UserErrorResolvers = {
  __resolveType: (error) => userErrorTypeOf(error),
};

const StockShortage: StockShortageResolvers = {
  product: (shortage, _, ctx) => loadReferenced(ctx.loaders.product, shortage.productId, 'product'),
  warehouse: (shortage, _, ctx) =>
    shortage.warehouseId === undefined ? null : loadReferenced(ctx.loaders.warehouse, shortage.warehouseId, 'warehouse'),
};

export const userErrorResolvers = { UserError, StockShortage } satisfies Resolvers;
