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
import { DEFAULT_PAGE_SIZE, Slot, validateConnectionArgs, type ReadField } from '../db/index.js';
import { hasScope, type Caller } from './auth/index.js';
import { requiredScope } from './auth/field-authorization.js';
import { FieldCollector, type CollectedField } from './collect.js';
import { orderFilter, productFilter, productOrder } from './filters.js';
import { decodeIdOf, type NodeType } from './ids.js';
import { storableText } from './inputs.js';

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

/** Arguments as the resolvers translate them (src/graphql/resolvers), in the stores' terms. */
function translateArguments(field: string, args: Record<string, unknown>): Record<string, unknown> {
  switch (field) {
    case 'Query.product':
      if ((args.id == null) === (args.sku == null)) throw new NotPlanned();
      return args.id != null
        ? { id: idOf('Product', args.id) }
        : { sku: translated(args.sku, (sku) => storableText(sku as string, 'sku')) };
    case 'Query.category':
      return { id: idOf('Category', args.id) };
    case 'Query.customer':
      return { id: idOf('Customer', args.id) };
    case 'Query.order':
      return { id: idOf('Order', args.id) };
    case 'Query.products':
    case 'Category.products':
      return { ...page(args), filter: withSlots(productFilter, args.filter), order: productOrder(args.orderBy as never) };
    case 'Query.orders':
      return { ...page(args), filter: withSlots(orderFilter, args.filter) };
    case 'Product.reviews':
    case 'Customer.orders':
      return page(args);
    default:
      if (Object.keys(args).length > 0) throw new NotPlanned();
      return {};
  }
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

/** `value` translated now, or when its slot is filled. */
function translated(value: unknown, translate: (value: unknown) => unknown): unknown {
  return value instanceof Slot ? value.map(translate) : translate(value);
}

function idOf(type: NodeType, value: unknown): number | Slot {
  const decode = (id: unknown) => decodeIdOf(type, id as string, 'id');
  return value instanceof Slot ? value.map(decode) : decode(value);
}

/** Forward pages from the start only; cursors and backward pages take the resolvers' path. */
function page(args: Record<string, unknown>): { first: number | Slot } {
  if (args.after != null || args.before != null || args.last != null) throw new NotPlanned();
  return { first: args.first instanceof Slot ? args.first.map(pageSize) : pageSize(args.first) };
}

function pageSize(first: unknown): number {
  validateConnectionArgs({ first: first as number | null | undefined });
  return (first as number | null | undefined) ?? DEFAULT_PAGE_SIZE;
}
