import { isCancellable, multiplyAmount } from '../../db/index.js';
import { connectionResolvers, connectionSource } from '../connection.js';
import type { MutationResolvers, OrderItemResolvers, OrderResolvers, QueryResolvers, Resolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, idempotencyKey, integer, listSize, storableText } from '../inputs.js';
import type { OrderRow } from '../mappers.js';
import { withUserErrors } from '../user-errors.js';
import { loadOrNull, loadReferenced } from './load.js';
import { orderFilter } from '../filters.js';

const Query: QueryResolvers = {
  order: async (_, { id }, ctx) => {
    const order = await loadOrNull(ctx.loaders.order, decodeIdOf('Order', id, 'id'));
    if (order) ctx.authorizeCustomerData(order.customerId);
    return order;
  },
  orderByNumber: async (_, { number }, ctx) => {
    const order = (await ctx.loaders.orderByNumber.load(storableText(number, 'number'))) ?? null;
    if (order) ctx.authorizeCustomerData(order.customerId);
    return order;
  },
  orders: (_, args, ctx) => {
    const filter = orderFilter(args.filter);
    // A customer's token lists that customer's orders only.
    const own = ctx.ownCustomerId;
    if (own !== undefined) {
      if (filter.customerId !== undefined) ctx.authorizeCustomerData(filter.customerId);
      filter.customerId = own;
    }
    return connectionSource(
      args,
      () => ctx.stores.orders.ordersPage(filter, args),
      () => ctx.stores.orders.ordersCount(filter),
    );
  },
};

const Mutation: MutationResolvers = {
  placeOrder: (_, { input }, ctx, info) =>
    withUserErrors(info, { order: null, replayed: false }, () => {
      const lines = listSize(input.items, 'input.items', 1, 100).map((item, index) => ({
        productId: decodeIdOf('Product', item.productId, `input.items[${index}].productId`),
        quantity: integer(item.quantity, `input.items[${index}].quantity`, 1, 1000),
      }));
      const customerId = decodeIdOf('Customer', input.customerId, 'input.customerId');
      ctx.authorizeCustomerData(customerId);
      return fromInput(
        ctx.stores.orders.placeOrder({ customerId, lines, idempotencyKey: idempotencyKey(input.idempotencyKey, ctx.caller) }),
      );
    }),
  cancelOrder: (_, { input }, ctx, info) =>
    withUserErrors(info, { order: null, replayed: false }, async () => {
      const orderId = decodeIdOf('Order', input.id, 'input.id');
      const key = idempotencyKey(input.idempotencyKey, ctx.caller);
      if (ctx.ownCustomerId !== undefined) {
        const order = await ctx.loaders.order.load(orderId);
        if (order) ctx.authorizeCustomerData(order.customerId);
      }
      return fromInput(ctx.stores.orders.cancelOrder(orderId, key));
    }),
};

const Order: OrderResolvers = {
  id: (row) => toGlobalId('Order', row.id),
  number: (row) => row.number!,
  cancellable: (row) => isCancellable(row.status),
  customer: (row, _, ctx) => loadReferenced(ctx.loaders.customer, row.customerId, 'customer'),
  total: (row) => ({ amount: row.totalAmount, currency: row.currency }),
  items: async (row, _, ctx) => (await ctx.loaders.itemsByOrder.load(row.id)).map((item) => ({ ...item, currency: row.currency })),
};

const OrderItem: OrderItemResolvers = {
  product: (item, _, ctx) => loadReferenced(ctx.loaders.product, item.productId, 'product'),
  warehouse: (item, _, ctx) => loadReferenced(ctx.loaders.warehouse, item.warehouseId, 'warehouse'),
  unitPrice: (item) => ({ amount: item.unitPrice, currency: item.currency }),
  lineTotal: (item) => ({ amount: multiplyAmount(item.unitPrice, item.quantity), currency: item.currency }),
};

export const orderResolvers = { Query, Mutation, Order, OrderItem, OrderConnection: connectionResolvers<OrderRow>() } satisfies Resolvers;
