import DataLoader from 'dataloader';
import type { ConnectionArgs, ProductFilter, ProductOrder, Stores } from '../db/index.js';

/**
 * The DataLoaders of one request: every by-id and by-parent lookup is batched into one
 * statement per tick and cached for the rest of the request.
 */
export function createLoaders(stores: Stores) {
  const { catalog, inventory, customers, orders, reviews } = stores;
  return {
    category: new DataLoader((ids: readonly number[]) => catalog.categoriesByIds(ids)),
    childCategories: new DataLoader((ids: readonly number[]) => catalog.childCategories(ids)),
    productPagesByCategory: loaderPerArguments((ids: readonly number[], args: CategoryProductsArgs) =>
      catalog.productsPagesByCategory(ids, args.filter, args.order, args.page, args.subcategories),
    ),
    productCountByCategory: loaderPerArguments((ids: readonly number[], args: Omit<CategoryProductsArgs, 'order' | 'page'>) =>
      catalog.productsCountByCategory(ids, args.filter, args.subcategories),
    ),
    categoryBySlug: new DataLoader((slugs: readonly string[]) => catalog.categoriesBySlugs(slugs)),
    product: new DataLoader((ids: readonly number[]) => catalog.productsByIds(ids)),
    productBySku: new DataLoader((skus: readonly string[]) => catalog.productsBySkus(skus)),
    productBySlug: new DataLoader((slugs: readonly string[]) => catalog.productsBySlugs(slugs)),
    imagesByProduct: new DataLoader((ids: readonly number[]) => catalog.imagesByProductIds(ids)),
    warehouse: new DataLoader((ids: readonly number[]) => inventory.warehousesByIds(ids)),
    inventoryByProduct: new DataLoader((ids: readonly number[]) => inventory.levelsByProductIds(ids)),
    stockPagesByWarehouse: loaderPerArguments((ids: readonly number[], args: ConnectionArgs) =>
      inventory.levelsPagesByWarehouse(ids, args),
    ),
    stockCountByWarehouse: new DataLoader((ids: readonly number[]) => inventory.levelsCountByWarehouse(ids)),
    customer: new DataLoader((ids: readonly number[]) => customers.customersByIds(ids)),
    order: new DataLoader((ids: readonly number[]) => orders.ordersByIds(ids)),
    orderByNumber: new DataLoader((numbers: readonly string[]) => orders.ordersByNumbers(numbers)),
    itemsByOrder: new DataLoader((ids: readonly number[]) => orders.itemsByOrderIds(ids)),
    orderPagesByCustomer: loaderPerArguments((ids: readonly number[], args: ConnectionArgs) => orders.ordersPagesByCustomer(ids, args)),
    orderCountByCustomer: new DataLoader((ids: readonly number[]) => orders.ordersCountByCustomer(ids)),
    review: new DataLoader((ids: readonly number[]) => reviews.reviewsByIds(ids)),
    reviewPagesByProduct: loaderPerArguments((ids: readonly number[], args: ConnectionArgs) => reviews.reviewsPagesByProduct(ids, args)),
    ratingByProduct: new DataLoader((ids: readonly number[]) => reviews.ratingsByProduct(ids)),
    reviewPagesByCustomer: loaderPerArguments((ids: readonly number[], args: ConnectionArgs) => reviews.reviewsPagesByCustomer(ids, args)),
    reviewCountByCustomer: new DataLoader((ids: readonly number[]) => reviews.reviewsCountByCustomer(ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface CategoryProductsArgs {
  filter: ProductFilter;
  order: ProductOrder;
  page: ConnectionArgs;
  /** Also the products of the categories below, at any depth. */
  subcategories: boolean;
}

/**
 * One loader per distinct set of field arguments: parents asking with the same arguments
 * (say `reviews(first: 5)` under 50 products) share one batch.
 */
function loaderPerArguments<Args, Value>(fetch: (keys: readonly number[], args: Args) => Promise<Value[]>) {
  const loaders = new Map<string, DataLoader<number, Value>>();
  return (args: Args): DataLoader<number, Value> => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader((keys: readonly number[]) => fetch(keys, args));
      loaders.set(key, loader);
    }
    return loader;
  };
}
