/**
 * What each GraphQL type resolves from (graphql-codegen `mappers`): database rows for
 * objects, lazy sources for connections and computed types.
 */
import type {
  CustomerRow,
  InventoryLevelRow,
  OrderItemRow,
  OrderRow,
  PriceBandCount,
  ProductRow,
  ProductScope,
  CategoryRow,
  ReviewRow,
  StockCounts,
} from '../db/index.js';
import type { ConnectionSource } from './connection.js';

export type {
  CategoryRow,
  CustomerRow,
  InventoryLevelRow,
  OrderRow,
  ProductImageRow,
  ProductRow,
  ReviewRow,
  WarehouseRow,
} from '../db/index.js';
export type { StockShortage as StockShortageSource } from '../errors.js';
export type { Caller as ViewerSource } from './auth/index.js';
export type { UserErrorSource } from './user-errors.js';

/** One bar of a product's rating histogram. */
export interface RatingCountSource {
  rating: number;
  count: number;
}

/** A review's author is the customer row, of which only the public display name is shown. */
export type ReviewAuthorSource = CustomerRow;

/** Stock of a product: its levels are loaded when a field asks for them. */
export interface ProductInventorySource {
  productId: number;
}

/** An order line with its order's currency, which the line itself does not store. */
export type OrderItemSource = OrderItemRow & { currency: string };

export type CategoryConnectionSource = ConnectionSource<CategoryRow>;
/** A page of products, with the scope its facets count over. */
export type ProductConnectionSource = ConnectionSource<ProductRow> & { scope: ProductFacetsSource };

/** The products a connection lists, and its stock counts once a field asks for them (one statement for both). */
export interface ProductFacetsSource extends ProductScope {
  stock?: Promise<StockCounts>;
}

export type { CategoryCount as CategoryFacetSource } from '../db/index.js';
export type PriceBandFacetSource = PriceBandCount & { currency: string };
export type CustomerConnectionSource = ConnectionSource<CustomerRow>;
export type OrderConnectionSource = ConnectionSource<OrderRow>;
export type ReviewConnectionSource = ConnectionSource<ReviewRow>;
export type InventoryLevelConnectionSource = ConnectionSource<InventoryLevelRow>;

export type { ClusterStatus as ClusterStatusSource, NodeStatus as DatabaseNodeStatusSource } from '../cluster/index.js';
