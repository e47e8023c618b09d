import {
  getArgumentValues,
  getNamedType,
  isLeafType,
  isObjectType,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import {
  categorySortOrder,
  CUSTOMER_FILTER_PARAMETERS,
  customerSortOrder,
  ORDER_FILTER_PARAMETERS,
  orderSortOrder,
  pageRequest,
  PRODUCT_FILTER_PARAMETERS,
  productSortOrder,
  reviewSortOrder,
  Slot,
  translated,
  warehouseStockOrder,
  type ReadField,
} from '../db/index.js';
import { BadUserInputError } from '../errors.js';
import { hasScope, type Caller } from './auth/index.js';
import { requiredScope } from './auth/field-authorization.js';
import { FieldCollector, type CollectedField } from './collect.js';
import { orderFilter, productFilter, productOrder } from './filters.js';
import { decodeIdOf, type NodeType } from './ids.js';
import { storableText, text } from './inputs.js';

class NotPlanned extends Error {}

/**
 * Fields one compiled statement may select in all. The cost limit keeps a request's tree far
 * below this; it guards the unrolling of shared fragments into the plan.
 */
const MAX_PLANNED_FIELDS = 2000;

/**
 * Plans a query for the compiled read path (src/db/read-compiler.ts): the fields GraphQL's
 * own collection selects (src/graphql/collect.ts), in response order, with their arguments
 * checked and translated to the stores' terms. Returns undefined whenever the resolvers must
 * answer instead: a field the caller may not see (they report FORBIDDEN per field), a
 * customer token (row checks), or a shape the compiler does not cover. Throws for invalid
 * arguments (the resolvers report them, with the field named). It never leaves a selected
 * field out.
 */
export function planRead(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  caller: Caller,
): ReadField[] | undefined {
  const query = schema.getQueryType();
  if (operation.operation !== 'query' || !query || caller.customerId !== undefined) return undefined;
  const collector = new FieldCollector(schema, fragments, variables);
  let planned = 0;
  try {
    return collector.fieldsOf(query, operation.selectionSet).map((field) => planField(query, field));
  } catch (error) {
    if (error instanceof NotPlanned) return undefined;
    throw error;
  }

  function planField(parent: GraphQLObjectType, field: CollectedField): ReadField {
    planned += 1;
    if (planned > MAX_PLANNED_FIELDS) throw new NotPlanned();
    const { key, name, definition } = field;
    if (name === '__typename') return { key, name, args: {}, typename: parent.name };
    if (!definition) throw new NotPlanned();
    const scope = requiredScope(definition);
    if (scope && !hasScope(caller, scope)) throw new NotPlanned();
    const args = translateArguments(`${parent.name}.${name}`, getArgumentValues(definition, field.nodes[0]!, variables));
    const type = getNamedType(definition.type);
    if (isLeafType(type)) return { key, name, args };
    // Interfaces (node, nodes) take the resolvers' path.
    if (!isObjectType(type)) throw new NotPlanned();
    return { key, name, args, fields: collector.subfieldsOf(type, field).map((child) => planField(type, child)) };
  }
}

/** How a field's arguments are planned. */
interface PlannedField {
  /**
   * Arguments, and fields of input arguments (`filter.search`), whose value only ever becomes
   * a parameter of the statement: a variable there is a slot, and the statement is planned
   * once for all its values.
   */
  slots: readonly string[];
  /** The arguments in the stores' terms, translated and checked as the resolvers do. */
  translate(args: Record<string, unknown>): Record<string, unknown>;
}

const PAGE = ['first', 'last', 'after', 'before'];
const inFilter = (names: readonly string[]) => names.map((name) => `filter.${name}`);

/** Product connections of Query. */
const PRODUCTS: PlannedField = {
  slots: [...PAGE, ...inFilter(PRODUCT_FILTER_PARAMETERS)],
  translate: ({ filter, orderBy, ...page }) => {
    const planned = withSlots(productFilter, filter);
    const order = productOrder(orderBy as never, planned);
    return { filter: planned, order, page: pageRequest(page, productSortOrder(order)) };
  },
};

/** Product connections of a Category: its filterBy, or the deprecated filter (whose categoryId is ignored), as categoryProductFilter reads them. */
const CATEGORY_PRODUCTS: PlannedField = {
  slots: [...PRODUCTS.slots, ...PRODUCT_FILTER_PARAMETERS.filter((name) => name !== 'categoryId').map((name) => `filterBy.${name}`)],
  translate: ({ filter, filterBy, orderBy, includeSubcategories, ...page }) => {
    if (includeSubcategories === null)
      throw new BadUserInputError('includeSubcategories cannot be null; omit it for false.', 'includeSubcategories');
    if (filter != null && filterBy != null) throw new BadUserInputError('Pass filterBy or the deprecated filter, not both.', 'filter');
    const planned =
      filterBy != null ? withSlots((input: never) => productFilter(input, 'filterBy'), filterBy) : withSlots(productFilter, filter);
    const order = productOrder(orderBy as never, planned);
    return { filter: planned, order, subcategories: includeSubcategories === true, page: pageRequest(page, productSortOrder(order)) };
  },
};

const bySlug: PlannedField = {
  slots: ['slug'],
  translate: ({ slug }) => ({ slug: translated(slug as string, (value) => storableText(value, 'slug')) }),
};

/**
 * Every field with arguments that compiled reads plan (src/db/read-compiler.ts compiles
 * these and the fields without arguments), with its slots and its translation: the one list
 * the planner, the read templates (which variables are slots) and the compiler agree on. A
 * field with arguments that is not here takes the resolvers' path.
 */
export const PLANNED_FIELDS: Readonly<Record<string, PlannedField>> = {
  'Query.product': {
    slots: ['id', 'sku'],
    translate: ({ id, sku }) => {
      if ((id == null) === (sku == null)) throw new BadUserInputError('Pass exactly one of id and sku.', id == null ? 'id' : 'sku');
      return id != null ? { id: idOf('Product', id, 'id') } : { sku: translated(sku as string, (value) => storableText(value, 'sku')) };
    },
  },
  'Query.productBySku': {
    slots: ['sku'],
    translate: ({ sku }) => ({ sku: translated(sku as string, (value) => storableText(value, 'sku')) }),
  },
  'Query.productBySlug': bySlug,
  'Query.categoryBySlug': bySlug,
  'Query.category': { slots: ['id'], translate: ({ id }) => ({ id: idOf('Category', id, 'id') }) },
  'Query.customer': { slots: ['id'], translate: ({ id }) => ({ id: idOf('Customer', id, 'id') }) },
  'Query.order': { slots: ['id'], translate: ({ id }) => ({ id: idOf('Order', id, 'id') }) },
  'Query.orderByNumber': {
    slots: ['number'],
    translate: ({ number }) => ({ number: translated(number as string, (value) => storableText(value, 'number')) }),
  },
  'Query.products': PRODUCTS,
  'Category.products': CATEGORY_PRODUCTS,
  'Query.categories': {
    slots: [...PAGE, 'parentId'],
    translate: ({ parentId, ...page }) => ({
      parentId: parentId == null ? null : idOf('Category', parentId, 'parentId'),
      page: pageRequest(page, categorySortOrder()),
    }),
  },
  'Query.customers': {
    slots: [...PAGE, ...CUSTOMER_FILTER_PARAMETERS],
    translate: ({ search, ...page }) => ({
      filter: search == null ? {} : { search: translated(search as string, (value) => text(value, 'search', { max: 100 })) },
      page: pageRequest(page, customerSortOrder()),
    }),
  },
  'Query.orders': {
    slots: [...PAGE, ...inFilter(ORDER_FILTER_PARAMETERS)],
    translate: ({ filter, ...page }) => ({ filter: withSlots(orderFilter, filter), page: pageRequest(page, orderSortOrder()) }),
  },
  'Product.reviews': { slots: PAGE, translate: (page) => ({ page: pageRequest(page, reviewSortOrder()) }) },
  'Customer.orders': { slots: PAGE, translate: (page) => ({ page: pageRequest(page, orderSortOrder()) }) },
  'Warehouse.stock': { slots: PAGE, translate: (page) => ({ page: pageRequest(page, warehouseStockOrder()) }) },
};

/** Arguments as the resolvers translate them (src/graphql/resolvers), in the stores' terms. */
function translateArguments(field: string, args: Record<string, unknown>): Record<string, unknown> {
  const planned = PLANNED_FIELDS[field];
  if (planned) return planned.translate(args);
  if (Object.keys(args).length > 0) throw new NotPlanned();
  return {};
}

/**
 * A filter input translated by `translate` (the resolvers' own translation), with each field
 * that is a slot translated on its own when the slot is filled.
 */
function withSlots<Input, Filter>(translate: (input: Input) => Filter, input: unknown): Filter {
  if (!input || typeof input !== 'object') return translate(input as Input);
  const fields = Object.entries(input);
  const now = Object.fromEntries(fields.filter(([, value]) => !(value instanceof Slot)));
  const filter = translate(now as Input) as Record<string, unknown>;
  for (const [name, value] of fields) {
    if (value instanceof Slot)
      filter[name] = value.map((filled) => (translate({ [name]: filled } as Input) as Record<string, unknown>)[name]);
  }
  return filter as Filter;
}

function idOf(type: NodeType, value: unknown, field: string): number | Slot {
  return translated(value as string, (id) => decodeIdOf(type, id, field));
}
