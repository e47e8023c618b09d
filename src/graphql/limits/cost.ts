import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  valueFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Static analysis of an operation before it runs: what it may cost and how deep it nests,
 * from the document and its variables alone, so an expensive request is refused before any
 * SQL is sent.
 *
 * The cost model (like the large public commerce APIs): a field that returns an object costs
 * 1, a connection 2 plus its page size times what each item selects, other lists their
 * size (`nodes(ids:)`) or a fixed estimate times what each item selects; scalars are free;
 * every mutation field costs 10 more.
 */
export interface CostLimits {
  maxPageSize: number;
  /** Assumed length of lists that are not paged (children, order items, stock per warehouse). */
  defaultListSize: number;
  /** Items in a connection page when neither first nor last is given. */
  defaultPageSize: number;
}

export interface OperationShape {
  cost: number;
  depth: number;
  aliases: number;
  directives: number;
  /** Page sizes over `maxPageSize`, with where they are. */
  oversizedPages: { path: string; argument: string; value: number }[];
}

const MUTATION_COST = 10;

export function analyseOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  limits: CostLimits,
): OperationShape {
  const shape: OperationShape = { cost: 0, depth: 0, aliases: 0, directives: 0, oversizedPages: [] };
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return shape;
  shape.directives += operation.directives?.length ?? 0;
  const rootCost = selectionCost(root, operation.selectionSet, 1, '');
  shape.cost = rootCost + (operation.operation === 'mutation' ? MUTATION_COST * countFields(operation.selectionSet) : 0);
  return shape;

  function selectionCost(
    parent: GraphQLCompositeType,
    selectionSet: SelectionSetNode,
    depth: number,
    path: string,
    seen = new Set<string>(),
  ): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      shape.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(parent, selection, depth, path, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        total += selectionCost(type ?? parent, selection.selectionSet, depth, path, seen);
      } else {
        const fragment = fragments[selection.name.value];
        // A fragment spread inside itself is a validation error; guard anyway.
        if (!fragment || seen.has(fragment.name.value)) continue;
        shape.directives += fragment.directives?.length ?? 0;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        total += selectionCost(type ?? parent, fragment.selectionSet, depth, path, new Set([...seen, fragment.name.value]));
      }
    }
    return total;
  }

  function fieldCost(parent: GraphQLCompositeType, node: FieldNode, depth: number, path: string, seen: Set<string>): number {
    if (node.alias) shape.aliases += 1;
    const name = node.name.value;
    // Introspection is priced by its own size limits; its deep type references are no load.
    if (name.startsWith('__')) return 0;
    shape.depth = Math.max(shape.depth, depth);
    const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
    if (!field || !node.selectionSet) return 0;
    const fieldPath = path ? `${path}.${node.alias?.value ?? name}` : (node.alias?.value ?? name);
    const type = getNamedType(field.type) as GraphQLCompositeType;
    if (!isCompositeType(type)) return 0;
    const args = argumentValues(field, node, variables);
    const children = (selections: SelectionSetNode) => selectionCost(type, selections, depth + 1, fieldPath, seen);

    if (type.name.endsWith('Connection')) {
      const pageSize = pageSizeOf(args, fieldPath);
      let total = 2;
      for (const selection of node.selectionSet.selections) {
        if (selection.kind === Kind.FIELD && (selection.name.value === 'edges' || selection.name.value === 'nodes')) {
          shape.depth = Math.max(shape.depth, depth + 1);
          const item = getNamedType(
            ('getFields' in type ? type.getFields()[selection.name.value]?.type : undefined) ?? type,
          ) as GraphQLCompositeType;
          if (selection.selectionSet)
            total += pageSize * selectionCost(item, selection.selectionSet, depth + 2, `${fieldPath}.${selection.name.value}`, seen);
        } else {
          total += selectionCost(type, { kind: Kind.SELECTION_SET, selections: [selection] }, depth + 1, fieldPath, seen);
        }
      }
      return total;
    }
    if (isList(field.type)) {
      const ids = args.ids;
      const size = Array.isArray(ids) ? ids.length : limits.defaultListSize;
      return 1 + size * children(node.selectionSet);
    }
    return 1 + children(node.selectionSet);
  }

  function pageSizeOf(args: Record<string, unknown>, path: string): number {
    let size = limits.defaultPageSize;
    for (const argument of ['first', 'last'] as const) {
      const value = args[argument];
      if (typeof value !== 'number') continue;
      if (value > limits.maxPageSize) shape.oversizedPages.push({ path, argument, value });
      size = Math.max(0, Math.min(value, limits.maxPageSize));
    }
    return size;
  }
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function argumentValues(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const argument of node.arguments ?? []) {
    const definition = field.args.find((candidate) => candidate.name === argument.name.value);
    if (definition) values[definition.name] = valueFromAST(argument.value, definition.type, variables);
  }
  return values;
}

function countFields(selectionSet: SelectionSetNode): number {
  return selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD).length;
}
