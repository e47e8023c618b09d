import { connectionResolvers } from '../connection.js';
import type { MutationResolvers, Resolvers, ReviewResolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, integer, text } from '../inputs.js';
import type { ReviewRow } from '../mappers.js';
import { loadReferenced } from './load.js';

const Mutation: MutationResolvers = {
  addReview: async (_, { input }, ctx) => {
    const customerId = decodeIdOf('Customer', input.customerId, 'input.customerId');
    ctx.authorizeCustomerData(customerId);
    const review = await fromInput(
      ctx.stores.reviews.addReview({
        productId: decodeIdOf('Product', input.productId, 'input.productId'),
        customerId,
        rating: integer(input.rating, 'input.rating', 1, 5),
        body: text(input.body, 'input.body', { max: 5000 }),
      }),
    );
    return { review };
  },
};

const Review: ReviewResolvers = {
  id: (row) => toGlobalId('Review', row.id),
  product: (row, _, ctx) => loadReferenced(ctx.loaders.product, row.productId, 'product'),
  customer: (row, _, ctx) => loadReferenced(ctx.loaders.customer, row.customerId, 'customer'),
};

export const reviewResolvers = { Mutation, Review, ReviewConnection: connectionResolvers<ReviewRow>() } satisfies Resolvers;
