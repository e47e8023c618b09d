/**
 * The tables a backup holds, parents before children (the order they load in), with the
 * columns that order their rows. Every application table is here, so a restore brings back
 * the whole service; drizzle's migration journal is not data and is rebuilt by migrating.
 */
export const BACKUP_TABLES: { name: string; orderBy: string; hasIdentity: boolean }[] = [
  { name: 'warehouses', orderBy: 'id', hasIdentity: true },
  { name: 'categories', orderBy: 'id', hasIdentity: true },
  { name: 'products', orderBy: 'id', hasIdentity: true },
  { name: 'product_images', orderBy: 'id', hasIdentity: true },
  { name: 'inventory_levels', orderBy: 'product_id, warehouse_id', hasIdentity: false },
  { name: 'customers', orderBy: 'id', hasIdentity: true },
  { name: 'orders', orderBy: 'id', hasIdentity: true },
  { name: 'order_items', orderBy: 'id', hasIdentity: true },
  { name: 'reviews', orderBy: 'id', hasIdentity: true },
  { name: 'api_keys', orderBy: 'id', hasIdentity: false },
  { name: 'idempotency_keys', orderBy: 'caller, key', hasIdentity: false },
];
