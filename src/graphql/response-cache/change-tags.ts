import type { ChangedRow } from '../../cluster/index.js';
import { rowTag, typeTag } from './response-tags.js';

/**
 * What a changed row of each table means for cached responses: its own entity, and the entity
 * that owns it (a product's stock and reviews change what the product's page shows: its
 * availability, its rating, its list of reviews). Each comes with its type's tag too, which
 * lists of that type and objects read without their id carry. Tables of personal data are
 * not here: their responses are never cached.
 */
const TABLE_TAGS: Record<string, (keys: Record<string, number[]>) => string[]> = {
  products: ({ id }) => [...rows('Product', id), typeTag('Product')],
  categories: ({ id, parent_id }) => [...rows('Category', id), ...rows('Category', parent_id), typeTag('Category')],
  warehouses: ({ id }) => [...rows('Warehouse', id), typeTag('Warehouse')],
  inventory_levels: ({ product_id }) => [...rows('Product', product_id), typeTag('Product')],
  // Deletes of these name their product only with REPLICA IDENTITY FULL (migration 0005).
  reviews: ({ id, product_id }) => [...rows('Review', id), typeTag('Review'), ...rows('Product', product_id), typeTag('Product')],
  product_images: ({ product_id }) => [...rows('Product', product_id), typeTag('Product')],
};

/** The tags a committed transaction's rows touched. */
export function changeTags(changed: readonly ChangedRow[]): string[] {
  const tags = new Set<string>();
  for (const { table, keys } of changed) for (const tag of TABLE_TAGS[table]?.(keys) ?? []) tags.add(tag);
  return [...tags];
}

function rows(type: string, ids: readonly number[] = []): string[] {
  return ids.map((id) => rowTag(type, id));
}
