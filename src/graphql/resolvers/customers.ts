import { ForbiddenError } from '../../errors.js';
import { connectionResolvers, connectionSource } from '../connection.js';
import type { CustomerResolvers, QueryResolvers, Resolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { optionalText } from '../inputs.js';
import type { CustomerRow } from '../mappers.js';
import { loadOrNull } from './load.js';

const Query: QueryResolvers = {
  customer: (_, { id }, ctx) => {
    const customerId = decodeIdOf('Customer', id, 'id');
    ctx.authorizeCustomerData(customerId);
    return loadOrNull(ctx.loaders.customer, customerId);
  },
  customers: (_, args, ctx) => {
    if (ctx.ownCustomerId !== undefined)
      throw new ForbiddenError("A customer's token cannot list customers; read its own with customer(id:).");
    const search = optionalText(args.search, 'search', { max: 100 });
    const filter = search === undefined ? {} : { search };
    return connectionSource(
      args,
      () => ctx.stores.customers.customersPage(filter, args),
      () => ctx.stores.customers.customersCount(filter),
    );
  },
};

const Customer: CustomerResolvers = {
  id: (row) => toGlobalId('Customer', row.id),
  orders: (row, args, ctx) =>
    connectionSource(
      args,
      () => ctx.loaders.orderPagesByCustomer(args).load(row.id),
      () => ctx.loaders.orderCountByCustomer.load(row.id),
    ),
};

export const customerResolvers = { Query, Customer, CustomerConnection: connectionResolvers<CustomerRow>() } satisfies Resolvers;
