export { ApiKeyStore, KEY_REVOKED_CHANNEL, type NewApiKey } from './api-key-store.js';
export {
  CatalogStore,
  PRODUCT_FILTER_PARAMETERS,
  productSortOrder,
  categorySortOrder,
  type CategoryCount,
  type NewProduct,
  type PriceBandCount,
  type ProductChanges,
  type ProductScope,
  type StockCounts,
  type ProductFilter,
  type ProductOrder,
  type ProductStatus,
} from './catalog-store.js';
export { CustomerStore, CUSTOMER_FILTER_PARAMETERS, customerSortOrder, type CustomerFilter } from './customer-store.js';
export { type IdempotencyKey } from './idempotency.js';
export { InventoryStore, warehouseStockOrder } from './inventory-store.js';
export { migrateDatabase } from './migrate.js';
export { multiplyAmount, parseAmount, parseCurrency } from './money.js';
export {
  OrderStore,
  ORDER_FILTER_PARAMETERS,
  orderSortOrder,
  isCancellable,
  type NewOrder,
  type OrderFilter,
  type OrderLine,
  type PlacedOrder,
} from './order-store.js';
export {
  MAX_PAGE_SIZE,
  pageRequest,
  validateConnectionArgs,
  type ConnectionArgs,
  type Page,
  type PlannedPageRequest,
} from './pagination.js';
export { compileRead, type CompiledRead, type ReadField, type ReadFormats } from './read-compiler.js';
export { ReviewStore, RATING_COLUMNS, reviewSortOrder, type NewReview, type RatingSummary } from './review-store.js';
export { isSlug, MAX_SLUG_LENGTH } from './slugs.js';
export { Slot, translated } from './slot.js';
export { seedDatabase, generateSeedData, type SeedCounts, type SeedOutcome } from './seed/index.js';
export { createStores, type Stores } from './stores.js';
export { base64urlSql, isoTime, isStorableText, parseStorableTime } from './values.js';
export type {
  ApiKeyRow,
  CategoryRow,
  CustomerRow,
  InventoryLevelRow,
  OrderItemRow,
  OrderRow,
  OrderStatus,
  ProductImageRow,
  ProductRow,
  ReviewRow,
  WarehouseRow,
} from './tables/index.js';
