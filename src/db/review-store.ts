import { avg, count, eq, inArray, sql } from 'drizzle-orm';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { countsByParent, pagesByParent } from './pages-by-parent.js';
import { newestFirst, pageRequest, type ConnectionArgs, type Page, type SortOrder } from './pagination.js';
import { violatedConstraint } from './postgres-errors.js';
import { byKey, inTransaction, Store } from './store.js';
import { products, reviews, type ReviewRow } from './tables/index.js';

export interface NewReview {
  productId: number;
  customerId: number;
  rating: number;
  body: string;
}

export interface RatingSummary {
  /** Mean rating, or null without reviews. */
  average: number | null;
  count: number;
}

/** Reviews newest first: the one definition the store and the compiled reads use. */
export function reviewSortOrder(table = reviews): SortOrder<ReviewRow> {
  return newestFirst<ReviewRow>(table);
}

const newest = reviewSortOrder();

/** The product's count of each rating, 1 to 5. */
export const RATING_COLUMNS = ['ratings1', 'ratings2', 'ratings3', 'ratings4', 'ratings5'] as const;

export class ReviewStore extends Store {
  reviewsByIds(ids: readonly number[]): Promise<(ReviewRow | undefined)[]> {
    return this.rowsByIds(reviews, ids);
  }

  /**
   * One page of reviews, newest first, for each product. Async, so a bad cursor fails the
   * DataLoader batch as a rejection (BAD_USER_INPUT), not as a synchronous throw it reports as its own fault.
   */
  async reviewsPagesByProduct(productIds: readonly number[], args: ConnectionArgs): Promise<Page<ReviewRow>[]> {
    const request = pageRequest(args, newest);
    return this.run((db) =>
      pagesByParent(db, {
        table: reviews,
        parentColumn: reviews.productId,
        parentIds: productIds,
        order: newest,
        request,
      }),
    );
  }

  /** One page of reviews, newest first, for each customer (a viewer's own reviews). */
  async reviewsPagesByCustomer(customerIds: readonly number[], args: ConnectionArgs): Promise<Page<ReviewRow>[]> {
    const request = pageRequest(args, newest);
    return this.run((db) =>
      pagesByParent(db, {
        table: reviews,
        parentColumn: reviews.customerId,
        parentIds: customerIds,
        order: newest,
        request,
      }),
    );
  }

  reviewsCountByCustomer(customerIds: readonly number[]): Promise<number[]> {
    return this.run((db) => countsByParent(db, { table: reviews, parentColumn: reviews.customerId, parentIds: customerIds }));
  }

  ratingsByProduct(productIds: readonly number[]): Promise<RatingSummary[]> {
    return this.run(async (db) => {
      const rows = await db
        .select({ productId: reviews.productId, average: avg(reviews.rating), count: count() })
        .from(reviews)
        .where(inArray(reviews.productId, [...productIds]))
        .groupBy(reviews.productId);
      return byKey(productIds, rows, (row) => row.productId).map((row) => ({
        average: row?.average == null ? null : Number(row.average),
        count: row?.count ?? 0,
      }));
    });
  }

  /** Adds a review and counts its rating in the product's maintained counts, in one transaction. */
  addReview(review: NewReview): Promise<ReviewRow> {
    const counted = RATING_COLUMNS[review.rating - 1]!;
    return this.write(async (db) => {
      try {
        return await inTransaction(db, async (tx) => {
          const [row] = await tx.insert(reviews).values(review).returning();
          await tx
            .update(products)
            .set({ [counted]: sql`${products[counted]} + 1` })
            .where(eq(products.id, review.productId));
          return row!;
        });
      } catch (error) {
        if (violatedConstraint(error, 'unique') === 'reviews_product_customer_key') {
          throw new BadUserInputError('This customer has already reviewed this product; a customer reviews a product once.', 'customerId', {
            cause: error,
            reason: 'ALREADY_REVIEWED',
          });
        }
        const foreignKey = violatedConstraint(error, 'foreign-key');
        if (foreignKey === 'reviews_product_id_products_id_fk') throw new NotFoundError('Product', review.productId);
        if (foreignKey === 'reviews_customer_id_customers_id_fk') throw new NotFoundError('Customer', review.customerId);
        throw error;
      }
    });
  }
}
