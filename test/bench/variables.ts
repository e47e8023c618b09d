import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/graphql/ids.js';

/** Ids and search terms drawn from the seeded data, so every generated request names something that exists. */
export interface BenchData {
  activeProductIds: number[];
  leafCategoryIds: number[];
  customerIdsWithOrders: number[];
  /** The words product names use most (each matches hundreds of products). */
  commonTerms: string[];
  /** Runs of two or three words of product names, each matching a handful of products at most. */
  rarePhrases: string[];
  /** A warehouse that stocks each active product, by product id (the writer adjusts that stock). */
  warehouseOf: Record<number, number>;
}

/** The skew of the cached operations' product ids: rank r is drawn with weight 1 / r^ZIPF_EXPONENT. */
export const ZIPF_EXPONENT = 1.2;
const zipfTables = new WeakMap<number[], Float64Array>();

/**
 * A product id drawn from a Zipf-like distribution over the active products (the first ids
 * most often), as shoppers' visits to a catalogue are: a few products get most of them.
 */
export function zipfProductId(data: BenchData, random: () => number = Math.random): number {
  const ids = data.activeProductIds;
  let cumulative = zipfTables.get(ids);
  if (!cumulative) {
    cumulative = new Float64Array(ids.length);
    let total = 0;
    for (let rank = 0; rank < ids.length; rank++) cumulative[rank] = total += 1 / (rank + 1) ** ZIPF_EXPONENT;
    for (let rank = 0; rank < ids.length; rank++) cumulative[rank]! /= total;
    zipfTables.set(ids, cumulative);
  }
  const target = random();
  let low = 0;
  let high = ids.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return ids[low]!;
}

/** A fresh set of GraphQL variables for one request of an operation. */
export function variablesFor(operation: string, data: BenchData, random: () => number = Math.random): Record<string, unknown> {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const priceRange = () => {
    const min = Math.floor(random() * 200);
    return { min: `${min}.00`, max: `${min + 50 + Math.floor(random() * 400)}.00` };
  };
  switch (operation) {
    case 'product-page':
      return { id: toGlobalId('Product', pick(data.activeProductIds)) };
    case 'cached-product-page':
      return { id: toGlobalId('Product', zipfProductId(data, random)) };
    case 'category-listing':
      return { id: toGlobalId('Category', pick(data.leafCategoryIds)) };
    case 'order-history':
      return { id: toGlobalId('Customer', pick(data.customerIdsWithOrders)) };
    case 'search':
      return { text: pick(data.commonTerms), ...priceRange() };
    case 'search-rare':
      return { text: pick(data.rarePhrases), ...priceRange() };
    case 'place-order':
      return {
        input: {
          customerId: toGlobalId('Customer', pick(data.customerIdsWithOrders)),
          items: [{ productId: toGlobalId('Product', pick(data.activeProductIds)), quantity: 1 }],
          idempotencyKey: randomUUID(),
        },
      };
    default:
      throw new Error(`no variables for ${operation}`);
  }
}

/**
 * Search terms from product names: the most used words, and rare phrases (the last two words
 * of every 37th name, a noun and its number, and the three words before them).
 */
export function searchTerms(names: string[]): Pick<BenchData, 'commonTerms' | 'rarePhrases'> {
  const counts = new Map<string, number>();
  for (const name of names)
    for (const word of name.toLowerCase().split(' ')) if (/^[a-z]{3,}$/.test(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const commonTerms = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 12)
    .map(([word]) => word);
  const rarePhrases = names
    .filter((_, index) => index % 37 === 0)
    .flatMap((name) => {
      const words = name.split(' ');
      return [words.slice(-2).join(' '), words.slice(-4, -1).join(' ')].filter((phrase) => phrase.includes(' '));
    });
  return { commonTerms, rarePhrases };
}
