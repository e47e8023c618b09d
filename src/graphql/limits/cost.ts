import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  valueFromAST,
  visit,
  type ASTNode,
  type DocumentNode,
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
 * What an operation costs, from the document and its variables alone (before it runs, so an
 * expensive request is refused before any SQL is sent), or from the data it returned.
 *
 * The model, like the large public commerce APIs': a field that returns an object costs 1
 * plus what it selects; a connection 2 plus, for each item of its page, what the item
 * selects; another list 1 plus, for each item, what the item selects; scalars are free;
 * every mutation field costs 10 more. Before running, a page has its `first`/`last` items
 * (20 by default), `nodes(ids:)` its ids, and other lists an assumed 10; after running, the
 * items actually returned.
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

export interface Operation {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

const MUTATION_COST = 10;

/** A document's fragments by name. */
export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

/** Arguments whose values the static analysis reads (page sizes and id lists); no other variable changes its result. */
const MEASURED_ARGUMENTS: ReadonlySet<string> = new Set(['first', 'last', 'ids']);

/**
 * The variables the static analysis of `operation` depends on: those inside its `first`,
 * `last` and `ids` arguments. Its result is the same for any two requests that agree on them.
 */
export function measuredVariables(operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>): string[] {
  const names = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Argument(argument) {
        if (!MEASURED_ARGUMENTS.has(argument.name.value)) return false;
        visit(argument.value, { Variable: (variable) => void names.add(variable.name.value) });
        return false;
      },
    });
  collect(operation);
  for (const fragment of Object.values(fragments)) collect(fragment);
  return [...names];
}

/** The cost, depth and size of an operation before it runs. */
export function analyseOperation(operation: Operation, limits: CostLimits): OperationShape {
  return measure(operation, limits, undefined);
}

/** What an operation cost, by the same model, with the lists as long as they came back. */
export function actualCost(operation: Operation, limits: CostLimits, data: Record<string, unknown> | null | undefined): number {
  if (!data) return 0;
  return measure(operation, limits, data).cost;
}

type Data = Record<string, unknown> | undefined;

function measure({ schema, operation, fragments, variables }: Operation, limits: CostLimits, data: Data): OperationShape {
  const shape: OperationShape = { cost: 0, depth: 0, aliases: 0, directives: 0, oversizedPages: [] };
  const measured = data !== undefined;
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return shape;
  shape.directives += operation.directives?.length ?? 0;
  shape.cost = selectionCost(root, operation.selectionSet, 1, '', new Set(), data);
  if (operation.operation === 'mutation') {
    const fields = operation.selectionSet.selections.filter((selection): selection is FieldNode => selection.kind === Kind.FIELD);
    shape.cost += MUTATION_COST * (measured ? fields.filter((field) => data[responseKey(field)] != null).length : fields.length);
  }
  return shape;

  function selectionCost(
    parent: GraphQLCompositeType,
    selectionSet: SelectionSetNode,
    depth: number,
    path: string,
    seen: Set<string>,
    value: Data,
  ): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      shape.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(parent, selection, depth, path, seen, value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        total += selectionCost(type ?? parent, selection.selectionSet, depth, path, seen, value);
      } else {
        const fragment = fragments[selection.name.value];
        // A fragment spread inside itself is a validation error; guard anyway.
        if (!fragment || seen.has(fragment.name.value)) continue;
        shape.directives += fragment.directives?.length ?? 0;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        total += selectionCost(type ?? parent, fragment.selectionSet, depth, path, new Set([...seen, fragment.name.value]), value);
      }
    }
    return total;
  }

  function fieldCost(parent: GraphQLCompositeType, node: FieldNode, depth: number, path: string, seen: Set<string>, value: Data): number {
    if (node.alias) shape.aliases += 1;
    const name = node.name.value;
    // Introspection is bounded by the schema's own size; its deep type references are no load.
    if (name.startsWith('__')) return 0;
    shape.depth = Math.max(shape.depth, depth);
    const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
    if (!field || !node.selectionSet) return 0;
    const type = getNamedType(field.type) as GraphQLCompositeType;
    if (!isCompositeType(type)) return 0;
    // After the run: a field the data lacks (a fragment on another type) or null cost nothing.
    const result = measured ? value?.[responseKey(node)] : undefined;
    if (measured && (result === null || result === undefined)) return 0;
    const fieldPath = path ? `${path}.${responseKey(node)}` : responseKey(node);
    const items = (selections: SelectionSetNode, itemType: GraphQLCompositeType, itemDepth: number, list: unknown, assumed: number) =>
      measured
        ? (list as Record<string, unknown>[]).reduce(
            (sum, item) => sum + (item ? selectionCost(itemType, selections, itemDepth, fieldPath, seen, item) : 0),
            0,
          )
        : assumed * selectionCost(itemType, selections, itemDepth, fieldPath, seen, undefined);

    if (type.name.endsWith('Connection')) {
      const pageSize = pageSizeOf(field, node, fieldPath);
      let total = 2;
      for (const selection of node.selectionSet.selections) {
        const isPage = selection.kind === Kind.FIELD && (selection.name.value === 'edges' || selection.name.value === 'nodes');
        if (!isPage) {
          total += selectionCost(type, { kind: Kind.SELECTION_SET, selections: [selection] }, depth + 1, fieldPath, seen, result as Data);
          continue;
        }
        shape.depth = Math.max(shape.depth, depth + 1);
        const page = 'getFields' in type ? type.getFields()[selection.name.value] : undefined;
        if (!page || !selection.selectionSet) continue;
        const list = measured ? ((result as Record<string, unknown>)[responseKey(selection)] ?? []) : undefined;
        total += items(selection.selectionSet, getNamedType(page.type) as GraphQLCompositeType, depth + 2, list, pageSize);
      }
      return total;
    }
    if (isList(field.type)) {
      const ids = argumentValues(field, node).ids;
      return 1 + items(node.selectionSet, type, depth + 1, result, Array.isArray(ids) ? ids.length : limits.defaultListSize);
    }
    return 1 + selectionCost(type, node.selectionSet, depth + 1, fieldPath, seen, result as Data);
  }

  function pageSizeOf(field: GraphQLField<unknown, unknown>, node: FieldNode, path: string): number {
    const args = argumentValues(field, node);
    let size = limits.defaultPageSize;
    for (const argument of ['first', 'last'] as const) {
      const value = args[argument];
      if (typeof value !== 'number') continue;
      if (value > limits.maxPageSize && !measured) shape.oversizedPages.push({ path, argument, value });
      size = Math.max(0, Math.min(value, limits.maxPageSize));
    }
    return size;
  }

  function argumentValues(field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const argument of node.arguments ?? []) {
      const definition = field.args.find((candidate) => candidate.name === argument.name.value);
      if (definition) values[definition.name] = valueFromAST(argument.value, definition.type, variables);
    }
    return values;
  }
}

function responseKey(node: FieldNode): string {
  return node.alias?.value ?? node.name.value;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}
