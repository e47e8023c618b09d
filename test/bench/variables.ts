import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/graphql/ids.js';

/** Ids drawn from the seeded data, so every generated request names something that exists. */
export interface BenchData {
  activeProductIds: number[];
  leafCategoryIds: number[];
  customerIdsWithOrders: number[];
}

const SEARCH_WORDS = ['oak', 'steel', 'lamp', 'kettle', 'wool', 'cork', 'mat', 'mug', 'tent', 'linen', 'copper', 'rug'];

/** A fresh set of GraphQL variables for one request of an operation. */
export function variablesFor(operation: string, data: BenchData, random: () => number = Math.random): Record<string, unknown> {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  switch (operation) {
    case 'product-page':
      return { id: toGlobalId('Product', pick(data.activeProductIds)) };
    case 'category-listing':
      return { id: toGlobalId('Category', pick(data.leafCategoryIds)) };
    case 'order-history':
      return { id: toGlobalId('Customer', pick(data.customerIdsWithOrders)) };
    case 'search': {
      const min = Math.floor(random() * 200);
      return { text: pick(SEARCH_WORDS), min: `${min}.00`, max: `${min + 50 + Math.floor(random() * 400)}.00` };
    }
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
