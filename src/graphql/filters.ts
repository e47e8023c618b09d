import { BadUserInputError } from '../errors.js';
import { parseAmount, parseCurrency, type OrderFilter, type ProductFilter, type ProductOrder } from '../db/index.js';
import type {
  CategoryProductFilter as CategoryProductFilterInput,
  OrderFilter as OrderFilterInput,
  ProductFilter as ProductFilterInput,
  ProductOrder as ProductOrderInput,
} from './generated/resolvers.js';
import { decodeIdOf } from './ids.js';
import { text } from './inputs.js';

/**
 * Filter and order arguments of the API, translated to the stores' terms and checked: shared
 * by the resolvers and the compiled read path, so both read the same rows.
 */
export function productFilter(
  input: ProductFilterInput | CategoryProductFilterInput | null | undefined,
  argument = 'filter',
): ProductFilter {
  if (!input) return {};
  const filter: ProductFilter = {};
  if ('categoryId' in input && input.categoryId != null)
    filter.categoryId = decodeIdOf('Category', input.categoryId, `${argument}.categoryId`);
  if (input.search != null) filter.search = text(input.search, `${argument}.search`, { max: 100 });
  if (input.text != null) filter.text = text(input.text, `${argument}.text`, { max: 100 });
  if ('minPrice' in input && input.minPrice != null) filter.minPrice = parseAmount(input.minPrice, `${argument}.minPrice`);
  if ('maxPrice' in input && input.maxPrice != null) filter.maxPrice = parseAmount(input.maxPrice, `${argument}.maxPrice`);
  if (input.price != null) {
    const { currency, min, below } = input.price;
    filter.price = { currency: parseCurrency(currency, `${argument}.price.currency`) };
    if (min != null) filter.price.min = parseAmount(min, `${argument}.price.min`);
    if (below != null) filter.price.below = parseAmount(below, `${argument}.price.below`);
  }
  if (input.inStock != null) filter.inStock = input.inStock;
  if (input.status != null) filter.status = input.status;
  return filter;
}

/** The filter of a category's products: its `filterBy`, or the deprecated `filter` (whose categoryId the store ignores). */
export function categoryProductFilter(
  filter: ProductFilterInput | null | undefined,
  filterBy: CategoryProductFilterInput | null | undefined,
): ProductFilter {
  if (filter != null && filterBy != null) throw new BadUserInputError('Pass filterBy or the deprecated filter, not both.', 'filter');
  return filterBy != null ? productFilter(filterBy, 'filterBy') : productFilter(filter);
}

/** The order of a product connection; RELEVANCE ranks by the filter's search text, so it needs one. */
export function productOrder(input: ProductOrderInput | null | undefined, filter: { text?: unknown }): ProductOrder {
  const order: ProductOrder = { field: input?.field ?? 'NAME', direction: input?.direction ?? 'ASC' };
  if (order.field === 'RELEVANCE' && filter.text === undefined)
    throw new BadUserInputError(
      'RELEVANCE ranks the products by how well they match filter.text; give a text, or sort by another field.',
      'orderBy.field',
    );
  return order;
}

export function orderFilter(input: OrderFilterInput | null | undefined): OrderFilter {
  if (!input) return {};
  const filter: OrderFilter = {};
  if (input.customerId != null) filter.customerId = decodeIdOf('Customer', input.customerId, 'filter.customerId');
  if (input.status != null) filter.status = input.status;
  if (input.createdAfter != null) filter.createdAfter = input.createdAfter;
  if (input.createdBefore != null) filter.createdBefore = input.createdBefore;
  return filter;
}
