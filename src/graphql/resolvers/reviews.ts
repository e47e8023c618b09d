import { connectionResolvers } from '../connection.js';
import type { MutationResolvers, Resolvers, ReviewAuthorResolvers, ReviewResolvers } from '../generated/resolvers.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, integer, text } from '../inputs.js';
import type { ReviewRow } from '../mappers.js';
import { withUserErrors } from '../user-errors.js';
import { loadReferenced } from './load.js';

const Mutation: MutationResolvers = {
  addReview: (_, { input }, ctx, info) =>
    withUserErrors(info, { review: null }, async () => {
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
    }),
};

const Review: ReviewResolvers = {
  id: (row) => toGlobalId('Review', row.id),
  product: (row, _, ctx) => loadReferenced(ctx.loaders.product, row.productId, 'product'),
  customer: (row, _, ctx) => loadReferenced(ctx.loaders.customer, row.customerId, 'customer'),
  author: (row, _, ctx) => loadReferenced(ctx.loaders.customer, row.customerId, 'author'),
};

const ReviewAuthor: ReviewAuthorResolvers = {
  displayName: (row) => row.displayName!,
};

export const reviewResolvers = { Mutation, Review, ReviewAuthor, ReviewConnection: connectionResolvers<ReviewRow>() } satisfies Resolvers;
