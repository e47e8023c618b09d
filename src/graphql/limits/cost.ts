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
  /** How to compute the actual cost from the data. */
  plan: CostPlan;
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

/** The cost, depth and size of an operation before it runs, and its plan for the actual cost. */
export function analyseOperation(operation: Operation, limits: CostLimits): OperationShape {
  const shape = planOperation(operation, limits);
  return { ...shape, cost: staticCost(shape.plan) };
}

/** What an operation cost, by the same model, with the lists as long as they came back. */
export function actualCost(plan: CostPlan, data: Record<string, unknown> | null | undefined): number {
  if (!data) return 0;
  return fieldsCost(plan.fields, data) + MUTATION_COST * plan.mutationKeys.filter((key) => data[key] != null).length;
}

/**
 * The fields of an operation that cost something (objects, lists, connections), with fragments
 * merged into the selection they apply to: built once per operation and page sizes, so the
 * actual cost of each response is a walk over its data alone.
 */
export interface CostPlan {
  fields: CostedField[];
  /** Response keys of mutation fields, which cost MUTATION_COST each when they return data. */
  mutationKeys: string[];
}

type CostedField =
  | { kind: 'object'; key: string; fields: CostedField[] }
  | { kind: 'list'; key: string; assumed: number; item: CostedField[] }
  | { kind: 'connection'; key: string; fields: CostedField[]; pages: CostedPage[] };

interface CostedPage {
  key: string;
  assumed: number;
  item: CostedField[];
}

type Data = Record<string, unknown>;

function staticCost(plan: CostPlan): number {
  return staticFieldsCost(plan.fields) + MUTATION_COST * plan.mutationKeys.length;
}

function staticFieldsCost(fields: CostedField[]): number {
  let total = 0;
  for (const field of fields) {
    if (field.kind === 'object') total += 1 + staticFieldsCost(field.fields);
    else if (field.kind === 'list') total += 1 + field.assumed * staticFieldsCost(field.item);
    else {
      total += 2 + staticFieldsCost(field.fields);
      for (const page of field.pages) total += page.assumed * staticFieldsCost(page.item);
    }
  }
  return total;
}

/** A field the data lacks (a fragment on another type) or null costs nothing, and so does a null item. */
function fieldsCost(fields: CostedField[], value: Data): number {
  let total = 0;
  for (const field of fields) {
    const result = value[field.key];
    if (result === null || result === undefined) continue;
    if (field.kind === 'object') total += 1 + fieldsCost(field.fields, result as Data);
    else if (field.kind === 'list') total += 1 + itemsCost(field.item, result as Data[]);
    else {
      total += 2 + fieldsCost(field.fields, result as Data);
      for (const page of field.pages) total += itemsCost(page.item, ((result as Data)[page.key] ?? []) as Data[]);
    }
  }
  return total;
}

function itemsCost(fields: CostedField[], items: (Data | null)[]): number {
  let total = 0;
  for (const item of items) if (item) total += fieldsCost(fields, item);
  return total;
}

function planOperation({ schema, operation, fragments, variables }: Operation, limits: CostLimits): Omit<OperationShape, 'cost'> {
  const shape: Omit<OperationShape, 'cost' | 'plan'> = { depth: 0, aliases: 0, directives: 0, oversizedPages: [] };
  const plan: CostPlan = { fields: [], mutationKeys: [] };
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return { ...shape, plan };
  shape.directives += operation.directives?.length ?? 0;
  plan.fields = selectionPlan(root, operation.selectionSet, 1, '', new Set());
  if (operation.operation === 'mutation') {
    const fields = operation.selectionSet.selections.filter((selection): selection is FieldNode => selection.kind === Kind.FIELD);
    plan.mutationKeys = fields.map(responseKey);
  }
  return { ...shape, plan };

  function selectionPlan(
    parent: GraphQLCompositeType,
    selectionSet: SelectionSetNode,
    depth: number,
    path: string,
    seen: Set<string>,
  ): CostedField[] {
    const planned: CostedField[] = [];
    for (const selection of selectionSet.selections) {
      shape.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const field = fieldPlan(parent, selection, depth, path, seen);
        if (field) planned.push(field);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        planned.push(...selectionPlan(type ?? parent, selection.selectionSet, depth, path, seen));
      } else {
        const fragment = fragments[selection.name.value];
        // A fragment spread inside itself is a validation error; guard anyway.
        if (!fragment || seen.has(fragment.name.value)) continue;
        shape.directives += fragment.directives?.length ?? 0;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        planned.push(...selectionPlan(type ?? parent, fragment.selectionSet, depth, path, new Set([...seen, fragment.name.value])));
      }
    }
    return planned;
  }

  function fieldPlan(
    parent: GraphQLCompositeType,
    node: FieldNode,
    depth: number,
    path: string,
    seen: Set<string>,
  ): CostedField | undefined {
    if (node.alias) shape.aliases += 1;
    const name = node.name.value;
    // Introspection is bounded by the schema's own size; its deep type references are no load.
    if (name.startsWith('__')) return undefined;
    shape.depth = Math.max(shape.depth, depth);
    const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
    if (!field || !node.selectionSet) return undefined;
    const type = getNamedType(field.type) as GraphQLCompositeType;
    if (!isCompositeType(type)) return undefined;
    const key = responseKey(node);
    const fieldPath = path ? `${path}.${key}` : key;

    if (type.name.endsWith('Connection')) {
      const pageSize = pageSizeOf(field, node, fieldPath);
      const connection: CostedField = { kind: 'connection', key, fields: [], pages: [] };
      for (const selection of node.selectionSet.selections) {
        const isPage = selection.kind === Kind.FIELD && (selection.name.value === 'edges' || selection.name.value === 'nodes');
        if (!isPage) {
          connection.fields.push(...selectionPlan(type, { kind: Kind.SELECTION_SET, selections: [selection] }, depth + 1, fieldPath, seen));
          continue;
        }
        shape.depth = Math.max(shape.depth, depth + 1);
        const page = 'getFields' in type ? type.getFields()[selection.name.value] : undefined;
        if (!page || !selection.selectionSet) continue;
        const item = selectionPlan(getNamedType(page.type) as GraphQLCompositeType, selection.selectionSet, depth + 2, fieldPath, seen);
        connection.pages.push({ key: responseKey(selection), assumed: pageSize, item });
      }
      return connection;
    }
    if (isList(field.type)) {
      const ids = argumentValues(field, node).ids;
      const item = selectionPlan(type, node.selectionSet, depth + 1, fieldPath, seen);
      return { kind: 'list', key, assumed: Array.isArray(ids) ? ids.length : limits.defaultListSize, item };
    }
    return { kind: 'object', key, fields: selectionPlan(type, node.selectionSet, depth + 1, fieldPath, seen) };
  }

  function pageSizeOf(field: GraphQLField<unknown, unknown>, node: FieldNode, path: string): number {
    const args = argumentValues(field, node);
    let size = limits.defaultPageSize;
    for (const argument of ['first', 'last'] as const) {
      const value = args[argument];
      if (typeof value !== 'number') continue;
      if (value > limits.maxPageSize) shape.oversizedPages.push({ path, argument, value });
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
