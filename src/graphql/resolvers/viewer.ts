import { connectionSource } from '../connection.js';
import type { QueryResolvers, Resolvers, ViewerKind, ViewerResolvers } from '../generated/resolvers.js';
import type { ViewerSource } from '../mappers.js';
import { loadOrNull } from './load.js';

const Query: QueryResolvers = {
  viewer: (_, __, ctx) => ctx.caller,
};

const Viewer: ViewerResolvers = {
  kind: (caller) => kindOf(caller),
  scopes: (caller) => [...caller.scopes].sort(),
  apiKeyName: (caller) => caller.keyName ?? null,
  customer: (caller, _, ctx) => (caller.customerId === undefined ? null : loadOrNull(ctx.loaders.customer, caller.customerId)),
  orders: (caller, args, ctx) => {
    const customerId = caller.customerId;
    if (customerId === undefined) return null;
    return connectionSource(
      args,
      () => ctx.loaders.orderPagesByCustomer(args).load(customerId),
      () => ctx.loaders.orderCountByCustomer.load(customerId),
    );
  },
  reviews: (caller, args, ctx) => {
    const customerId = caller.customerId;
    if (customerId === undefined) return null;
    return connectionSource(
      args,
      () => ctx.loaders.reviewPagesByCustomer(args).load(customerId),
      () => ctx.loaders.reviewCountByCustomer.load(customerId),
    );
  },
};

function kindOf(caller: ViewerSource): ViewerKind {
  switch (caller.kind) {
    case 'anonymous':
      return 'ANONYMOUS';
    case 'api-key':
      return 'API_KEY';
    case 'jwt':
      return caller.customerId === undefined ? 'TOKEN' : 'CUSTOMER';
    default: {
      const unreachable: never = caller.kind;
      return unreachable;
    }
  }
}

export const viewerResolvers = { Query, Viewer } satisfies Resolvers;
