import { BadUserInputError } from '../../errors.js';
import { connectionResolvers, connectionSource } from '../connection.js';
import type {
  CategoryFacetResolvers,
  CategoryResolvers,
  ProductFacetsResolvers,
  MutationResolvers,
  ProductInventoryResolvers,
  ProductResolvers,
  QueryResolvers,
  Resolvers,
} from '../generated/resolvers.js';
import { parseCurrency, RATING_COLUMNS } from '../../db/index.js';
import type { GraphQLContext } from '../context.js';
import { decodeIdOf, toGlobalId } from '../ids.js';
import { fromInput, integer, money, notNull, optionalText, slug, storableText, text } from '../inputs.js';
import type { CategoryRow, ProductFacetsSource, ProductRow } from '../mappers.js';
import { withUserErrors } from '../user-errors.js';
import { loadOrNull, loadReferenced } from './load.js';
import { categoryProductFilter, productFilter, productOrder } from '../filters.js';

const Query: QueryResolvers = {
  product: async (_, { id, sku }, ctx) => {
    if ((id == null) === (sku == null)) throw new BadUserInputError('Pass exactly one of id and sku.', id == null ? 'id' : 'sku');
    if (id != null) return loadOrNull(ctx.loaders.product, decodeIdOf('Product', id, 'id'));
    return (await ctx.loaders.productBySku.load(storableText(sku!, 'sku'))) ?? null;
  },
  productBySku: async (_, { sku }, ctx) => (await ctx.loaders.productBySku.load(storableText(sku, 'sku'))) ?? null,
  productBySlug: async (_, args, ctx) => (await ctx.loaders.productBySlug.load(storableText(args.slug, 'slug'))) ?? null,
  categoryBySlug: async (_, args, ctx) => (await ctx.loaders.categoryBySlug.load(storableText(args.slug, 'slug'))) ?? null,
  products: (_, args, ctx) => {
    const filter = productFilter(args.filter);
    const order = productOrder(args.orderBy, filter);
    const page = connectionSource(
      args,
      () => ctx.stores.catalog.productsPage(filter, order, args),
      () => ctx.stores.catalog.productsCount(filter),
    );
    return { ...page, scope: { filter } };
  },
  category: (_, { id }, ctx) => loadOrNull(ctx.loaders.category, decodeIdOf('Category', id, 'id')),
  categories: (_, args, ctx) => {
    const parentId = args.parentId == null ? null : decodeIdOf('Category', args.parentId, 'parentId');
    return connectionSource(
      args,
      () => ctx.stores.catalog.categoriesPage(parentId, args),
      () => ctx.stores.catalog.categoriesCount(parentId),
    );
  },
};

const Mutation: MutationResolvers = {
  createProduct: (_, { input }, ctx, info) =>
    withUserErrors(info, { product: null }, async () => {
      const given = notNull(input.slug, 'input.slug');
      const product = await fromInput(
        ctx.stores.catalog.createProduct({
          sku: text(input.sku, 'input.sku', { max: 64 }),
          ...(given === undefined ? {} : { slug: slug(given, 'input.slug') }),
          name: text(input.name, 'input.name', { max: 200 }),
          description: optionalText(input.description, 'input.description', { min: 0, max: 5000 }) ?? '',
          ...money(input.price, 'input.price'),
          categoryId: decodeIdOf('Category', input.categoryId, 'input.categoryId'),
          status: notNull(input.status, 'input.status') ?? 'ACTIVE',
        }),
      );
      return { product };
    }),
  updateProduct: (_, { input }, ctx, info) =>
    withUserErrors(info, { product: null }, async () => {
      const price = notNull(input.price, 'input.price');
      const categoryId = notNull(input.categoryId, 'input.categoryId');
      const newSlug = notNull(input.slug, 'input.slug');
      const expectedVersion = notNull(input.expectedVersion, 'input.expectedVersion');
      const product = await fromInput(
        ctx.stores.catalog.updateProduct(
          decodeIdOf('Product', input.id, 'input.id'),
          {
            name: optionalText(notNull(input.name, 'input.name'), 'input.name', { max: 200 }),
            slug: newSlug === undefined ? undefined : slug(newSlug, 'input.slug'),
            description: optionalText(notNull(input.description, 'input.description'), 'input.description', { min: 0, max: 5000 }),
            ...(price === undefined ? {} : money(price, 'input.price')),
            categoryId: categoryId === undefined ? undefined : decodeIdOf('Category', categoryId, 'input.categoryId'),
            status: notNull(input.status, 'input.status'),
          },
          expectedVersion === undefined ? undefined : integer(expectedVersion, 'input.expectedVersion', 1, 2_147_483_647),
        ),
      );
      return { product };
    }),
};

const Category: CategoryResolvers = {
  id: (row) => toGlobalId('Category', row.id),
  parent: (row, _, ctx) => (row.parentId === null ? null : loadReferenced(ctx.loaders.category, row.parentId, 'parent category')),
  children: (row, _, ctx) => ctx.loaders.childCategories.load(row.id),
  products: (row, args, ctx) => {
    const filter = categoryProductFilter(args.filter, args.filterBy);
    const order = productOrder(args.orderBy, filter);
    const page = { first: args.first, after: args.after, last: args.last, before: args.before };
    const subcategories = notNull(args.includeSubcategories, 'includeSubcategories') ?? false;
    const source = connectionSource(
      args,
      () => ctx.loaders.productPagesByCategory({ filter, order, page, subcategories }).load(row.id),
      () => ctx.loaders.productCountByCategory({ filter, subcategories }).load(row.id),
    );
    return { ...source, scope: { filter, categoryId: row.id, subcategories } };
  },
};

const Product: ProductResolvers = {
  id: (row) => toGlobalId('Product', row.id),
  price: (row) => ({ amount: row.priceAmount, currency: row.currency }),
  category: (row, _, ctx) => loadReferenced(ctx.loaders.category, row.categoryId, 'category'),
  inventory: (row) => ({ productId: row.id }),
  reviews: (row, args, ctx) =>
    connectionSource(
      args,
      () => ctx.loaders.reviewPagesByProduct(args).load(row.id),
      async () => (await ctx.loaders.ratingByProduct.load(row.id)).count,
    ),
  averageRating: async (row, _, ctx) => (await ctx.loaders.ratingByProduct.load(row.id)).average,
  reviewCount: (row) => row.reviewCount!,
  ratingHistogram: (row) => [5, 4, 3, 2, 1].map((rating) => ({ rating, count: row[RATING_COLUMNS[rating - 1]!] })),
  images: (row, _, ctx) => ctx.loaders.imagesByProduct.load(row.id),
  featuredImage: async (row, _, ctx) => (await ctx.loaders.imagesByProduct.load(row.id))[0] ?? null,
};

const ProductFacets: ProductFacetsResolvers = {
  categories: (scope, _, ctx) => ctx.stores.catalog.categoryFacets(scope),
  priceBands: async (scope, args, ctx) => {
    const currency = parseCurrency(args.currency, 'currency');
    return (await ctx.stores.catalog.priceBandFacets(scope, currency)).map((band) => ({ ...band, currency }));
  },
  inStock: async (scope, _, ctx) => (await stockOf(scope, ctx)).inStock,
  outOfStock: async (scope, _, ctx) => (await stockOf(scope, ctx)).outOfStock,
};

function stockOf(scope: ProductFacetsSource, ctx: GraphQLContext) {
  return (scope.stock ??= ctx.stores.catalog.stockFacets(scope));
}

const CategoryFacet: CategoryFacetResolvers = {
  category: (facet, _, ctx) => loadReferenced(ctx.loaders.category, facet.categoryId, 'category'),
};

const ProductInventory: ProductInventoryResolvers = {
  byWarehouse: (source, _, ctx) => ctx.loaders.inventoryByProduct.load(source.productId),
  totalAvailable: async (source, _, ctx) =>
    sum(await ctx.loaders.inventoryByProduct.load(source.productId), (level) => level.onHand - level.reserved),
  totalOnHand: async (source, _, ctx) => sum(await ctx.loaders.inventoryByProduct.load(source.productId), (level) => level.onHand),
};

export const catalogResolvers = {
  Query,
  Mutation,
  Category,
  Product,
  ProductInventory,
  CategoryConnection: connectionResolvers<CategoryRow>(),
  ProductConnection: { ...connectionResolvers<ProductRow>(), facets: (source) => source.scope },
  ProductFacets,
  CategoryFacet,
} satisfies Resolvers;

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
