import type { Route } from '../cluster/index.js';
import { CatalogStore } from './catalog-store.js';
import { CustomerStore } from './customer-store.js';
import { InventoryStore } from './inventory-store.js';
import { OrderStore } from './order-store.js';
import { ReviewStore } from './review-store.js';

/** Every store, bound to the route of one unit of work. */
export interface Stores {
  catalog: CatalogStore;
  inventory: InventoryStore;
  customers: CustomerStore;
  orders: OrderStore;
  reviews: ReviewStore;
}

export function createStores(route: Route): Stores {
  return {
    catalog: new CatalogStore(route),
    inventory: new InventoryStore(route),
    customers: new CustomerStore(route),
    orders: new OrderStore(route),
    reviews: new ReviewStore(route),
  };
}
