import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Sql, TransactionSql } from 'postgres';
import type { ClusterNode } from '../../cluster/index.js';
import { generateSeedData, type SeedData, type SeedOptions } from './generate.js';

export type SeedCounts = { [Table in keyof SeedData]: number };

export type SeedOutcome = { loaded: true; counts: SeedCounts } | { loaded: false; reason: 'already-seeded' };

/** Tables in load order (parents first), with their column lists for COPY. */
const COLUMNS: { [Table in keyof SeedData]: [table: string, columns: { [Column in keyof SeedData[Table][number]]: string }] } = {
  warehouses: ['warehouses', { id: 'id', code: 'code', name: 'name', city: 'city', countryCode: 'country_code' }],
  categories: ['categories', { id: 'id', parentId: 'parent_id', name: 'name', slug: 'slug', createdAt: 'created_at' }],
  products: [
    'products',
    {
      id: 'id',
      sku: 'sku',
      slug: 'slug',
      name: 'name',
      description: 'description',
      priceAmount: 'price_amount',
      currency: 'currency',
      status: 'status',
      categoryId: 'category_id',
      unitsSold: 'units_sold',
      ratings1: 'ratings_1',
      ratings2: 'ratings_2',
      ratings3: 'ratings_3',
      ratings4: 'ratings_4',
      ratings5: 'ratings_5',
      createdAt: 'created_at',
    },
  ],
  productImages: [
    'product_images',
    { id: 'id', productId: 'product_id', position: 'position', url: 'url', altText: 'alt_text', width: 'width', height: 'height' },
  ],
  inventoryLevels: ['inventory_levels', { productId: 'product_id', warehouseId: 'warehouse_id', onHand: 'on_hand', reserved: 'reserved' }],
  customers: ['customers', { id: 'id', email: 'email', name: 'name', createdAt: 'created_at' }],
  orders: [
    'orders',
    { id: 'id', customerId: 'customer_id', status: 'status', totalAmount: 'total_amount', currency: 'currency', createdAt: 'created_at' },
  ],
  orderItems: [
    'order_items',
    { id: 'id', orderId: 'order_id', productId: 'product_id', warehouseId: 'warehouse_id', quantity: 'quantity', unitPrice: 'unit_price' },
  ],
  reviews: [
    'reviews',
    { id: 'id', productId: 'product_id', customerId: 'customer_id', rating: 'rating', body: 'body', createdAt: 'created_at' },
  ],
};

/**
 * Loads the demo data into an empty database on the primary, in one transaction with COPY.
 * A database that already holds products is left alone unless `reset` empties it first.
 * `onProgress` hears each step (at scale 1 the whole takes about 15 s).
 */
export async function seedDatabase(
  primary: ClusterNode,
  options: SeedOptions & { reset?: boolean; onProgress?: (message: string) => void },
): Promise<SeedOutcome> {
  const progress = options.onProgress ?? (() => {});
  const tables = Object.values(COLUMNS)
    .map(([table]) => table)
    .join(', ');
  const session = primary.openSession();
  try {
    if (options.reset) {
      await session.unsafe(`truncate ${tables} restart identity cascade`);
    }
    const [state] = await session<{ seeded: boolean }[]>`select exists (select 1 from products) as seeded`;
    if (state?.seeded) return { loaded: false, reason: 'already-seeded' };
    progress(`generating the rows (scale ${options.scale})`);
    const data = generateSeedData(options);
    const order = Object.keys(COLUMNS) as (keyof SeedData)[];
    await session.begin(async (tx) => {
      for (const [index, table] of order.entries()) {
        await copyTable(tx, table, data);
        progress(`loaded ${COLUMNS[table][0]} (${data[table].length.toLocaleString('en')} rows, table ${index + 1} of ${order.length})`);
      }
      await advanceIdentities(tx);
    });
    // The API serves right after seeding: without this, fresh rows have no planner statistics
    // and no visibility map until autovacuum reaches them, and the first minutes run on bad plans.
    progress('analysing the tables for the query planner');
    await session.unsafe(`vacuum (analyze) ${tables}`);
    const counts = Object.fromEntries(Object.entries(data).map(([table, rows]) => [table, rows.length])) as SeedCounts;
    return { loaded: true, counts };
  } finally {
    await session.end();
  }
}

async function copyTable<Table extends keyof SeedData>(tx: TransactionSql, table: Table, data: SeedData): Promise<void> {
  const [name, columnMap] = COLUMNS[table];
  const keys = Object.keys(columnMap) as (keyof SeedData[Table][number])[];
  const columns = keys.map((key) => columnMap[key]).join(', ');
  const rows = data[table] as SeedData[Table][number][];
  const lines = function* () {
    for (const row of rows) yield `${keys.map((key) => copyValue(row[key])).join('\t')}\n`;
  };
  const target = await tx.unsafe(`copy ${name} (${columns}) from stdin`).writable();
  await pipeline(Readable.from(lines()), target);
}

/** COPY's text format: \N for null, backslash escapes for the separators. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  return String(value).replace(/[\\\t\n\r]/g, (char) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[char]!);
}

/** Rows came with explicit ids; new rows must continue after them. */
async function advanceIdentities(tx: TransactionSql | Sql): Promise<void> {
  for (const table of ['warehouses', 'categories', 'products', 'product_images', 'customers', 'orders', 'order_items', 'reviews']) {
    await tx.unsafe(`select setval(pg_get_serial_sequence('${table}', 'id'), coalesce((select max(id) from ${table}), 0) + 1, false)`);
  }
}
