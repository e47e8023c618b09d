import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  numeric,
  pgEnum,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

export const productStatus = pgEnum('product_status', ['ACTIVE', 'DRAFT', 'ARCHIVED']);

/** A tree of categories: a root has no parent. */
export const categories = pgTable(
  'categories',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    parentId: integer('parent_id').references((): AnyPgColumn => categories.id),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('categories_slug_key').on(table.slug),
    index('categories_parent_id_idx').on(table.parentId, table.name, table.id),
  ],
);

/**
 * The ratings a product's reviews give, one count per star, maintained by every write of a
 * review in the same transaction (reviews are never deleted): the review count, the histogram
 * and the top-rated order read these, not the reviews.
 */
const RATINGS_SUM = sql.raw('(ratings_1 + ratings_2 + ratings_3 + ratings_4 + ratings_5)');
const RATING_POINTS = sql.raw('(ratings_1 + 2 * ratings_2 + 3 * ratings_3 + 4 * ratings_4 + 5 * ratings_5)');

/**
 * The weight of the neutral (3-star) ratings the top-rated score adds to a product's own, so
 * that one 5-star review does not outrank two hundred 4.8 ones: a Bayesian mean.
 */
export const TOP_RATED_PRIOR_REVIEWS = 5;
export const TOP_RATED_PRIOR_RATING = 3;

export const products = pgTable(
  'products',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    sku: text('sku').notNull(),
    /** URL-friendly unique name; derived from the name when the product is created, kept when it is renamed. */
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Exact decimal: read and written as a string, never a float. */
    priceAmount: numeric('price_amount', { precision: 12, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    status: productStatus('status').notNull().default('ACTIVE'),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    /** Bumped by every change of the product's own fields: updateProduct's optimistic concurrency. */
    version: integer('version').notNull().default(1),
    /** Units on orders that are not cancelled, maintained by placing and cancelling orders (best-selling order). */
    unitsSold: integer('units_sold').notNull().default(0),
    ratings1: integer('ratings_1').notNull().default(0),
    ratings2: integer('ratings_2').notNull().default(0),
    ratings3: integer('ratings_3').notNull().default(0),
    ratings4: integer('ratings_4').notNull().default(0),
    ratings5: integer('ratings_5').notNull().default(0),
    reviewCount: integer('review_count').generatedAlwaysAs(RATINGS_SUM),
    /** The top-rated order's key: the mean rating with TOP_RATED_PRIOR_REVIEWS neutral ratings added. */
    ratingScore: numeric('rating_score', { precision: 5, scale: 4 }).generatedAlwaysAs(
      sql`round((${RATING_POINTS} + ${sql.raw(String(TOP_RATED_PRIOR_REVIEWS * TOP_RATED_PRIOR_RATING))})::numeric / (${RATINGS_SUM} + ${sql.raw(String(TOP_RATED_PRIOR_REVIEWS))}), 4)`,
    ),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('products_sku_key').on(table.sku),
    uniqueIndex('products_slug_key').on(table.slug),
    check('products_price_amount_check', sql`${table.priceAmount} >= 0`),
    check('products_currency_check', sql`${table.currency} ~ '^[A-Z]{3}$'`),
    check('products_units_sold_check', sql`${table.unitsSold} >= 0`),
    index('products_category_name_idx').on(table.categoryId, table.name, table.id),
    index('products_name_idx').on(table.name, table.id),
    index('products_price_idx').on(table.priceAmount, table.id),
    index('products_created_at_idx').on(table.createdAt, table.id),
    index('products_units_sold_idx').on(table.unitsSold, table.id),
    index('products_rating_score_idx').on(table.ratingScore, table.id),
    // Substring search on names (`ILIKE '%fragment%'`) through trigrams.
    index('products_name_trgm_idx').using('gin', sql`${table.name} gin_trgm_ops`),
    // Full-text search in names and descriptions: the index holds productDocument's expression.
    index('products_search_idx').using('gin', productDocument(table)),
  ],
);

/**
 * What full-text search reads of a product: its name (weight A, so a match there ranks
 * higher) and its description (weight B), with English stemming. An expression index holds
 * it; queries must write exactly this expression to use the index.
 */
export function productDocument(table: { name: SQLWrapper; description: SQLWrapper }): SQL {
  return sql`(setweight(to_tsvector('english'::regconfig, ${table.name}), 'A') || setweight(to_tsvector('english'::regconfig, ${table.description}), 'B'))`;
}

/** Pictures of a product, in display order; demo data has placeholder URLs. */
export const productImages = pgTable(
  'product_images',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    position: smallint('position').notNull(),
    url: text('url').notNull(),
    altText: text('alt_text').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
  },
  (table) => [
    check('product_images_size_check', sql`${table.width} > 0 and ${table.height} > 0`),
    index('product_images_product_idx').on(table.productId, table.position, table.id),
  ],
);

export type CategoryRow = typeof categories.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type ProductImageRow = typeof productImages.$inferSelect;
