import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, Slot, validateConnectionArgs, type ReadField } from '../db/index.js';
import { hasScope, type Caller } from './auth/index.js';
import { requiredScope } from './auth/field-authorization.js';
import { orderFilter, productFilter, productOrder } from './filters.js';
import { decodeIdOf, type NodeType } from './ids.js';

class NotPlanned extends Error {}

/**
 * Plans a query for the compiled read path (src/db/read-compiler.ts): the selected fields in
 * response order, fragments and @skip/@include resolved, arguments checked and translated to
 * the stores' terms. Returns undefined whenever the resolvers must answer instead: a field
 * the caller may not see (they report FORBIDDEN per field), a customer token (row checks),
 * invalid arguments (they report BAD_USER_INPUT), or a shape the compiler does not cover.
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
  try {
    return fieldsOf(query, [operation.selectionSet]);
  } catch {
    // Not covered, or invalid arguments, which the resolvers report with the field named.
    return undefined;
  }

  function fieldsOf(type: GraphQLObjectType, selectionSets: SelectionSetNode[]): ReadField[] {
    const collected = new Map<string, FieldNode[]>();
    for (const selectionSet of selectionSets) collect(type, selectionSet, collected, new Set());
    return [...collected].map(([key, nodes]) => planField(type, key, nodes));
  }

  function collect(type: GraphQLObjectType, selectionSet: SelectionSetNode, into: Map<string, FieldNode[]>, spread: Set<string>): void {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives ?? [])) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        into.set(key, [...(into.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!selection.typeCondition || selection.typeCondition.name.value === type.name)
          collect(type, selection.selectionSet, into, spread);
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || spread.has(fragment.name.value)) throw new NotPlanned();
        if (fragment.typeCondition.name.value === type.name)
          collect(type, fragment.selectionSet, into, new Set([...spread, fragment.name.value]));
      }
    }
  }

  function included(
    directives: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: unknown }[] }[],
  ): boolean {
    for (const directive of directives) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') throw new NotPlanned();
      const condition = directive.arguments?.[0]?.value as { kind: string; value?: boolean; name?: { value: string } } | undefined;
      const value = condition?.kind === Kind.VARIABLE ? variables[condition.name!.value] : condition?.value;
      if (name === 'skip' && value === true) return false;
      if (name === 'include' && value !== true) return false;
    }
    return true;
  }

  function planField(parent: GraphQLObjectType, key: string, nodes: FieldNode[]): ReadField {
    const [node] = nodes as [FieldNode];
    const name = node.name.value;
    if (name === '__typename') return { key, name, args: {}, typename: parent.name };
    const field = parent.getFields()[name];
    if (!field) throw new NotPlanned();
    // The same key selected twice (say, by two fragments) merges; with arguments, leave it to graphql-js.
    if (nodes.length > 1 && nodes.some((other) => other.name.value !== name || (other.arguments?.length ?? 0) > 0)) throw new NotPlanned();
    const scope = requiredScope(field);
    if (scope && !hasScope(caller, scope)) throw new NotPlanned();
    const args = translateArguments(`${parent.name}.${name}`, getArgumentValues(field, node, variables));
    const type = getNamedType(field.type);
    if (!isObjectType(type)) return { key, name, args };
    const selectionSets = nodes.map((other) => other.selectionSet).filter((set): set is SelectionSetNode => set !== undefined);
    return { key, name, args, fields: fieldsOf(type, selectionSets) };
  }
}

/** Arguments as the resolvers translate them (src/graphql/resolvers), in the stores' terms. */
function translateArguments(field: string, args: Record<string, unknown>): Record<string, unknown> {
  switch (field) {
    case 'Query.product':
      if ((args.id == null) === (args.sku == null)) throw new NotPlanned();
      return args.id != null ? { id: idOf('Product', args.id) } : { sku: args.sku };
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
