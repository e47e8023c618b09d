export { ApiKeyStore, type NewApiKey } from './api-key-store.js';
export {
  CatalogStore,
  type NewProduct,
  type ProductChanges,
  type ProductFilter,
  type ProductOrder,
  type ProductStatus,
} from './catalog-store.js';
export { CustomerStore, type CustomerFilter } from './customer-store.js';
export { InventoryStore } from './inventory-store.js';
export { migrateDatabase } from './migrate.js';
export { multiplyAmount, parseAmount, parseCurrency } from './money.js';
export { OrderStore, type NewOrder, type OrderFilter, type OrderLine, type PlacedOrder } from './order-store.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, validateConnectionArgs, type ConnectionArgs, type Page } from './pagination.js';
export { compileRead, Slot, type CompiledRead, type ReadField } from './read-compiler.js';
export { ReviewStore, type NewReview, type RatingSummary } from './review-store.js';
export { seedDatabase, generateSeedData, type SeedCounts, type SeedOutcome } from './seed/index.js';
export { createStores, type Stores } from './stores.js';
export { isStorableText, parseStorableTime } from './values.js';
export type {
  ApiKeyRow,
  CategoryRow,
  CustomerRow,
  InventoryLevelRow,
  OrderItemRow,
  OrderRow,
  OrderStatus,
  ProductRow,
  ReviewRow,
  WarehouseRow,
} from './tables/index.js';
