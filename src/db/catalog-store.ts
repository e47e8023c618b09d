import { and, count, desc, eq, exists, gte, ilike, inArray, isNull, lt, lte, notExists, sql, type SQL } from 'drizzle-orm';
import { BadUserInputError, NotFoundError, VersionConflictError } from '../errors.js';
import { containsPattern } from './like.js';
import { pagesByParent } from './pages-by-parent.js';
import { violatedConstraint } from './postgres-errors.js';
import { keysetOrderBy, pageRequest, type ConnectionArgs, type Page, type SortOrder } from './pagination.js';
import { Slot, translated, type Planned } from './slot.js';
import { productSlug } from './slugs.js';
import { byKey, groupByKey, inTransaction, Store } from './store.js';
import {
  categories,
  inventoryLevels,
  productDocument,
  productImages,
  products,
  type CategoryRow,
  type ProductImageRow,
  type ProductRow,
} from './tables/index.js';

export type ProductStatus = ProductRow['status'];

export interface ProductFilter {
  categoryId?: number;
  /** Case-insensitive fragment of the product name. */
  search?: string;
  /** Words to find in names and descriptions, with English stemming (PostgreSQL full-text search, web search syntax). */
  text?: string;
  /** Inclusive bounds, exact decimals as strings, whatever the currency. */
  minPrice?: string;
  maxPrice?: string;
  /** Prices in one currency, from `min` (inclusive) to `below` (exclusive). */
  price?: PriceRange;
  /** true: some warehouse has available stock; false: none has. */
  inStock?: boolean;
  status?: ProductStatus;
}

export interface PriceRange {
  currency: string;
  min?: string;
  below?: string;
}

/** Which products a connection lists: a filter, within a category (and its subcategories) or not. */
export interface ProductScope {
  filter: ProductFilter;
  categoryId?: number;
  subcategories?: boolean;
}

/** Where the price bands of the facets start, in any currency's units: 0 to 10, 10 to 25, ... 1,000 and more. */
export const PRICE_BAND_FLOORS = ['0.00', '10.00', '25.00', '50.00', '100.00', '250.00', '500.00', '1000.00'] as const;

/** How the products of a scope spread over categories, price bands and stock. */
export interface CategoryCount {
  categoryId: number;
  count: number;
}
export interface PriceBandCount {
  min: string;
  below: string | null;
  count: number;
}
export interface StockCounts {
  inStock: number;
  outOfStock: number;
}

export type ProductOrderField = 'NAME' | 'PRICE' | 'CREATED_AT' | 'BEST_SELLING' | 'TOP_RATED' | 'RELEVANCE';

/** A product row of a page sorted by an expression (RELEVANCE), with the expression's value. */
type SortedProductRow = ProductRow & { sortKey?: string };
export interface ProductOrder {
  field: ProductOrderField;
  direction: 'ASC' | 'DESC';
}

export interface NewProduct {
  sku: string;
  /** Made from the name when not given. */
  slug?: string;
  name: string;
  description: string;
  priceAmount: string;
  currency: string;
  categoryId: number;
  status: ProductStatus;
}

export type ProductChanges = Partial<Omit<NewProduct, 'sku'>>;

/** A product's pictures in display order: the one definition the store and the compiled reads use. */
export function productImageOrder(table = productImages): SQL[] {
  return [sql`${table.position}`, sql`${table.id}`];
}

/** The column each product order sorts by, of `table` (the products table, or an alias of it in a compiled read). */
function productOrderColumns(table: typeof products) {
  return {
    NAME: { column: table.name, sqlType: 'text', valueOf: (row: ProductRow) => row.name },
    PRICE: { column: table.priceAmount, sqlType: 'numeric', valueOf: (row: ProductRow) => row.priceAmount },
    CREATED_AT: { column: table.createdAt, sqlType: 'timestamptz', valueOf: (row: ProductRow) => row.createdAt },
    BEST_SELLING: { column: table.unitsSold, sqlType: 'int4', valueOf: (row: ProductRow) => row.unitsSold },
    TOP_RATED: { column: table.ratingScore, sqlType: 'numeric', valueOf: (row: ProductRow) => row.ratingScore! },
  } as const;
}

/** Orders that rank products: ascending puts the best first, so the largest value. */
const RANKINGS: ReadonlySet<ProductOrderField> = new Set(['BEST_SELLING', 'TOP_RATED', 'RELEVANCE']);

/** The full-text query of a search text: web search syntax ("quoted phrase", -word, or), English stemming. */
function textQuery(text: string | Slot): SQL {
  return sql`websearch_to_tsquery('english'::regconfig, ${text})`;
}

/**
 * How well a product matches a search text, by PostgreSQL's ts_rank over the weighted document
 * (a word in the name counts more than one in the description), rounded so that the value in a
 * cursor compares equal to the one computed again.
 */
function relevance(table: typeof products, text: string | Slot): SQL {
  return sql`round(ts_rank(${productDocument(table)}, ${textQuery(text)})::numeric, 6)`;
}

/**
 * How products are sorted for `order` (RELEVANCE: by how well they match the search `text`):
 * the one definition the store and the compiled reads use.
 */
export function productSortOrder({ field, direction }: ProductOrder, table = products, text?: string | Slot): SortOrder<ProductRow> {
  const sorted = {
    name: `${field}_${direction}`,
    id: table.id,
    descending: (direction === 'DESC') !== RANKINGS.has(field),
    idOf: (row: ProductRow) => row.id,
  };
  if (field !== 'RELEVANCE') return { ...sorted, ...productOrderColumns(table)[field] };
  return {
    ...sorted,
    column: relevance(table, text ?? ''),
    computed: true,
    sqlType: 'numeric',
    valueOf: (row: SortedProductRow) => row.sortKey!,
  };
}

/** Categories by name, then id. */
export function categorySortOrder(table = categories): SortOrder<CategoryRow> {
  return {
    name: 'NAME_ASC',
    column: table.name,
    id: table.id,
    descending: false,
    sqlType: 'text',
    valueOf: (row) => row.name,
    idOf: (row) => row.id,
  };
}

const categoryOrder = categorySortOrder();

/** Categories and products. */
export class CatalogStore extends Store {
  categoriesByIds(ids: readonly number[]): Promise<(CategoryRow | undefined)[]> {
    return this.rowsByIds(categories, ids);
  }

  /** The direct children of each parent, by name. */
  childCategories(parentIds: readonly number[]): Promise<CategoryRow[][]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(categories)
        .where(inArray(categories.parentId, [...parentIds]))
        .orderBy(...keysetOrderBy(categoryOrder, { backward: false }));
      return groupByKey(parentIds, rows, (row) => row.parentId!);
    });
  }

  /** Categories under `parentId`, or the roots when it is null, by name. */
  categoriesPage(parentId: number | null, args: ConnectionArgs): Promise<Page<CategoryRow>> {
    return this.keysetPage(categories, parentCondition(parentId), categoryOrder, args);
  }

  categoriesCount(parentId: number | null): Promise<number> {
    return this.run(async (db) => {
      const [row] = await db.select({ total: count() }).from(categories).where(parentCondition(parentId));
      return row?.total ?? 0;
    });
  }

  productsByIds(ids: readonly number[]): Promise<(ProductRow | undefined)[]> {
    return this.rowsByIds(products, ids);
  }

  productsBySkus(skus: readonly string[]): Promise<(ProductRow | undefined)[]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(products)
        .where(inArray(products.sku, [...skus]));
      return byKey(skus, rows, (row) => row.sku);
    });
  }

  productsBySlugs(slugs: readonly string[]): Promise<(ProductRow | undefined)[]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(products)
        .where(inArray(products.slug, [...slugs]));
      return byKey(slugs, rows, (row) => row.slug);
    });
  }

  categoriesBySlugs(slugs: readonly string[]): Promise<(CategoryRow | undefined)[]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(categories)
        .where(inArray(categories.slug, [...slugs]));
      return byKey(slugs, rows, (row) => row.slug);
    });
  }

  /** The pictures of each product, in display order. */
  imagesByProductIds(productIds: readonly number[]): Promise<ProductImageRow[][]> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(productImages)
        .where(inArray(productImages.productId, [...productIds]))
        .orderBy(productImages.productId, ...productImageOrder());
      return groupByKey(productIds, rows, (row) => row.productId);
    });
  }

  productsPage(filter: ProductFilter, order: ProductOrder, args: ConnectionArgs): Promise<Page<ProductRow>> {
    return this.keysetPage(products, productConditions(filter), productSortOrder(order, products, filter.text), args);
  }

  /**
   * One page of products for each category, with the same filter and order for all. Async, so a bad cursor fails the
   * DataLoader batch as a rejection (BAD_USER_INPUT), not as a synchronous throw it reports as its own fault.
   */
  async productsPagesByCategory(
    categoryIds: readonly number[],
    filter: ProductFilter,
    order: ProductOrder,
    args: ConnectionArgs,
    subcategories: boolean,
  ): Promise<Page<ProductRow>[]> {
    const sortOrder = productSortOrder(order, products, filter.text);
    const request = pageRequest(args, sortOrder);
    return this.run((db) =>
      pagesByParent(db, {
        table: products,
        parentColumn: products.categoryId,
        within: (categoryId) => inCategory(categoryId, subcategories),
        parentIds: categoryIds,
        order: sortOrder,
        request,
        where: productConditions({ ...filter, categoryId: undefined }),
      }),
    );
  }

  productsCountByCategory(categoryIds: readonly number[], filter: ProductFilter, subcategories: boolean): Promise<number[]> {
    return this.run(async (db) => {
      const categoryId = sql`category_ids.id`;
      const counted = and(inCategory(categoryId, subcategories), productConditions({ ...filter, categoryId: undefined }));
      const rows = await db.execute<{ id: number; total: number }>(sql`
        select category_ids.id, (select count(*)::int from ${products} where ${counted}) as total
        from unnest(${`{${categoryIds.join(',')}}`}::int4[]) as category_ids(id)`);
      return byKey(categoryIds, [...rows], (row) => row.id).map((row) => row?.total ?? 0);
    });
  }

  productsCount(filter: ProductFilter): Promise<number> {
    return this.run(async (db) => {
      const [row] = await db.select({ total: count() }).from(products).where(productConditions(filter));
      return row?.total ?? 0;
    });
  }

  /** The categories the products of a scope are listed in directly, most products first: at most ten. */
  categoryFacets(scope: ProductScope): Promise<CategoryCount[]> {
    return this.run(async (db) => {
      const total = count();
      return db
        .select({ categoryId: products.categoryId, count: total })
        .from(products)
        .where(scopeConditions(scope))
        .groupBy(products.categoryId)
        .orderBy(desc(total), products.categoryId)
        .limit(10);
    });
  }

  /** The products of a scope priced in `currency`, by price band, cheapest first; empty bands left out. */
  priceBandFacets(scope: ProductScope, currency: string): Promise<PriceBandCount[]> {
    return this.run(async (db) => {
      // The floors are written into the statement, not sent as a parameter: the select list and
      // GROUP BY must be the same expression, and two parameters are two expressions.
      const floors = sql.raw(`'{${PRICE_BAND_FLOORS.slice(1).join(',')}}'::numeric[]`);
      const band = sql<number>`width_bucket(${products.priceAmount}, ${floors})`;
      const rows = await db
        .select({ band, count: count() })
        .from(products)
        .where(and(scopeConditions(scope), eq(products.currency, currency)))
        .groupBy(band)
        .orderBy(band);
      return rows.map((row) => ({ min: PRICE_BAND_FLOORS[row.band]!, below: PRICE_BAND_FLOORS[row.band + 1] ?? null, count: row.count }));
    });
  }

  /** The products of a scope that some warehouse can ship now, and those it cannot. */
  stockFacets(scope: ProductScope): Promise<StockCounts> {
    return this.run(async (db) => {
      const [row] = await db
        .select({
          inStock: sql<number>`(count(*) filter (where ${exists(availableStock(products))}))::int`,
          outOfStock: sql<number>`(count(*) filter (where ${notExists(availableStock(products))}))::int`,
        })
        .from(products)
        .where(scopeConditions(scope));
      return row!;
    });
  }

  /**
   * Adds a product. Without a slug it gets the one its name gives, or, when another product
   * has that one, the same followed by its own id (so the id is drawn first).
   */
  createProduct(product: NewProduct): Promise<ProductRow> {
    return this.write((db) =>
      inTransaction(db, async (tx) => {
        try {
          let { slug } = product;
          let id: number | undefined;
          if (slug === undefined) {
            const base = productSlug(product.name);
            const [drawn] = await tx.execute<{ id: number; taken: boolean }>(
              sql`select nextval(pg_get_serial_sequence('products', 'id'))::int as id, exists (select 1 from ${products} where ${products.slug} = ${base}) as taken`,
            );
            id = drawn!.id;
            slug = drawn!.taken ? `${base}-${id}` : base;
          }
          const [row] = await tx
            .insert(products)
            .values({ ...product, slug, ...(id === undefined ? {} : { id }) })
            .returning();
          return row!;
        } catch (error) {
          throw translateProductError(error, product.categoryId);
        }
      }),
    );
  }

  /**
   * Changes a product and counts its version up. With `expectedVersion`, only while the
   * product is still at that version (VERSION_CONFLICT otherwise), checked in the same
   * statement that writes, so two editors never overwrite each other.
   */
  updateProduct(id: number, changes: ProductChanges, expectedVersion?: number): Promise<ProductRow> {
    return this.write(async (db) => {
      let row: ProductRow | undefined;
      try {
        [row] = await db
          .update(products)
          .set({ ...changes, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
          .where(and(eq(products.id, id), expectedVersion === undefined ? undefined : eq(products.version, expectedVersion)))
          .returning();
      } catch (error) {
        throw translateProductError(error, changes.categoryId);
      }
      if (row) return row;
      const [current] = await db.select({ version: products.version }).from(products).where(eq(products.id, id));
      if (!current) throw new NotFoundError('Product', id);
      throw new VersionConflictError('product', current.version);
    });
  }
}

/**
 * The products listed in a category, or with `subcategories` in it and every category below
 * it at any depth: the one definition the store and the compiled reads use.
 */
export function inCategory(categoryId: SQL, subcategories: boolean, table = products): SQL {
  if (!subcategories) return sql`${table.categoryId} = ${categoryId}`;
  return sql`${table.categoryId} in (with recursive subtree(id) as (select ${categoryId}::int4 union all select child.id from ${categories} child join subtree on child.parent_id = subtree.id) select id from subtree)`;
}

/** The conditions of a scope: its filter, and its category when it has one (whose filter's categoryId is ignored). */
function scopeConditions({ filter, categoryId, subcategories = false }: ProductScope): SQL | undefined {
  if (categoryId === undefined) return productConditions(filter);
  return and(inCategory(sql`${categoryId}`, subcategories), productConditions({ ...filter, categoryId: undefined }));
}

/** Categories under `parentId`, or the roots when it is null. */
export function parentCondition(parentId: number | Slot | null, table = categories): SQL {
  return parentId === null ? isNull(table.parentId) : eq(table.parentId, parentId);
}

/**
 * Filter fields whose selectivity depends on their value (one search term matches a handful
 * of names, another thousands; a price range may be narrow or wide): a compiled read with one
 * of them is planned for each execution's values rather than once for all.
 */
export const VALUE_SENSITIVE_PRODUCT_FILTERS: readonly (keyof ProductFilter)[] = ['search', 'text', 'minPrice', 'maxPrice', 'price'];

/** Product filter fields that only ever become a parameter: slots of a compiled read. */
export const PRODUCT_FILTER_PARAMETERS = ['categoryId', 'search', 'text', 'minPrice', 'maxPrice', 'status'] as const;

export type PlannedProductFilter = Planned<ProductFilter, (typeof PRODUCT_FILTER_PARAMETERS)[number]>;

/** The conditions of a product filter on `table`: the one definition the store and the compiled reads use. */
export function productConditions(filter: PlannedProductFilter, table = products): SQL | undefined {
  const available = availableStock(table);
  return and(
    filter.categoryId === undefined ? undefined : eq(table.categoryId, filter.categoryId),
    filter.search === undefined ? undefined : ilike(table.name, translated(filter.search, containsPattern)),
    filter.text === undefined ? undefined : sql`${productDocument(table)} @@ ${textQuery(filter.text)}`,
    filter.minPrice === undefined ? undefined : gte(table.priceAmount, filter.minPrice),
    filter.maxPrice === undefined ? undefined : lte(table.priceAmount, filter.maxPrice),
    filter.price === undefined ? undefined : eq(table.currency, filter.price.currency),
    filter.price?.min === undefined ? undefined : gte(table.priceAmount, filter.price.min),
    filter.price?.below === undefined ? undefined : lt(table.priceAmount, filter.price.below),
    filter.status === undefined ? undefined : eq(table.status, filter.status),
    filter.inStock === undefined ? undefined : filter.inStock ? exists(available) : notExists(available),
  );
}

/** Stock rows of the outer product with units that can be ordered. */
function availableStock(table: typeof products) {
  return sql`(select 1 from ${inventoryLevels} where ${inventoryLevels.productId} = ${table.id} and ${inventoryLevels.onHand} > ${inventoryLevels.reserved})`;
}

function translateProductError(error: unknown, categoryId: number | undefined): unknown {
  const unique = violatedConstraint(error, 'unique');
  if (unique === 'products_sku_key') {
    return new BadUserInputError('A product with this sku already exists; skus are unique.', 'sku', { cause: error, reason: 'TAKEN' });
  }
  if (unique === 'products_slug_key') {
    return new BadUserInputError('Another product has this slug; slugs are unique.', 'slug', { cause: error, reason: 'TAKEN' });
  }
  if (violatedConstraint(error, 'foreign-key') === 'products_category_id_categories_id_fk' && categoryId !== undefined) {
    return new NotFoundError('Category', categoryId);
  }
  return error;
}
