import type { Resolvers } from '../generated/resolvers.js';
import { DateTime } from '../scalars.js';
import { catalogResolvers } from './catalog.js';
import { clusterResolvers } from './cluster.js';
import { customerResolvers } from './customers.js';
import { inventoryResolvers } from './inventory.js';
import { nodeResolvers } from './node.js';
import { orderResolvers } from './orders.js';
import { reviewResolvers } from './reviews.js';
import { userErrorResolvers } from './user-errors.js';
import { viewerResolvers } from './viewer.js';

const { Query: catalogQuery, Mutation: catalogMutation, ...catalogTypes } = catalogResolvers;
const { Query: inventoryQuery, Mutation: inventoryMutation, ...inventoryTypes } = inventoryResolvers;
const { Query: customerQuery, ...customerTypes } = customerResolvers;
const { Query: orderQuery, Mutation: orderMutation, ...orderTypes } = orderResolvers;
const { Mutation: reviewMutation, ...reviewTypes } = reviewResolvers;
const { Query: nodeQuery, ...nodeTypes } = nodeResolvers;
const { Query: clusterQuery, ...clusterTypes } = clusterResolvers;
const { Query: viewerQuery, ...viewerTypes } = viewerResolvers;

/** Every resolver, one module per SDL file. */
export const resolvers: Resolvers = {
  DateTime,
  Query: { ...nodeQuery, ...catalogQuery, ...inventoryQuery, ...customerQuery, ...orderQuery, ...clusterQuery, ...viewerQuery },
  Mutation: { ...catalogMutation, ...inventoryMutation, ...orderMutation, ...reviewMutation },
  ...nodeTypes,
  ...catalogTypes,
  ...inventoryTypes,
  ...customerTypes,
  ...orderTypes,
  ...reviewTypes,
  ...clusterTypes,
  ...viewerTypes,
  ...userErrorResolvers,
};
