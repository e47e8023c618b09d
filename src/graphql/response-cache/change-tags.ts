import type { ChangedRow } from '../../cluster/index.js';
import { rowTag, typeTag } from './response-tags.js';

/**
 * What a changed row of each table means for cached responses: its own entity, and the entity
 * that owns it (a product's stock and reviews change what the product's page shows: its
 * availability, its rating, its list of reviews). Each comes with its type's tag too, which
 * lists of that type and objects read without their id carry. Tables of personal data are
 * not here: their responses are never cached.
 */
const TABLE_TAGS: Record<string, (keys: Record<string, number>) => (string | undefined)[]> = {
  products: ({ id }) => [row('Product', id), typeTag('Product')],
  categories: ({ id, parent_id }) => [row('Category', id), row('Category', parent_id), typeTag('Category')],
  warehouses: ({ id }) => [row('Warehouse', id), typeTag('Warehouse')],
  inventory_levels: ({ product_id }) => [row('Product', product_id), typeTag('Product')],
  reviews: ({ id, product_id }) => [row('Review', id), typeTag('Review'), row('Product', product_id), typeTag('Product')],
};

/** The tags a committed transaction's rows touched. */
export function changeTags(rows: readonly ChangedRow[]): string[] {
  const tags = new Set<string>();
  for (const { table, keys } of rows) for (const tag of TABLE_TAGS[table]?.(keys) ?? []) if (tag) tags.add(tag);
  return [...tags];
}

function row(type: string, id: number | undefined): string | undefined {
  return id === undefined ? undefined : rowTag(type, id);
}
