/**
 * What each GraphQL type resolves from (graphql-codegen `mappers`): database rows for
 * objects, lazy sources for connections and computed types.
 */
import type { CustomerRow, OrderItemRow, OrderRow, ProductRow, CategoryRow, ReviewRow } from '../db/index.js';
import type { ConnectionSource } from './connection.js';

export type { CategoryRow, CustomerRow, InventoryLevelRow, OrderRow, ProductRow, ReviewRow, WarehouseRow } from '../db/index.js';

/** Stock of a product: its levels are loaded when a field asks for them. */
export interface ProductInventorySource {
  productId: number;
}

/** An order line with its order's currency, which the line itself does not store. */
export type OrderItemSource = OrderItemRow & { currency: string };

export type CategoryConnectionSource = ConnectionSource<CategoryRow>;
export type ProductConnectionSource = ConnectionSource<ProductRow>;
export type CustomerConnectionSource = ConnectionSource<CustomerRow>;
export type OrderConnectionSource = ConnectionSource<OrderRow>;
export type ReviewConnectionSource = ConnectionSource<ReviewRow>;

export type { ClusterStatus as ClusterStatusSource, NodeStatus as DatabaseNodeStatusSource } from '../cluster/index.js';
