import {
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  visit,
  type ASTNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  valueFromAST,
} from 'graphql';
import { FieldCollector, namedTypeOf, type CollectedField } from '../collect.js';
import { nodeTypeOf } from '../ids.js';

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
 *
 * Both count the fields GraphQL's own collection selects (src/graphql/collect.ts), so a page
 * inside a fragment costs a page, and a fragment on another type or a skipped field costs
 * nothing. A value of an interface type (`node`, `nodes`) costs what its fields cost for the
 * type its id names; for an id that names no type, the most any type could cost.
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

/**
 * The collected fields of an operation, kept so that the actual cost of each response is a
 * walk over its data alone, with the same collection the static cost counted.
 */
export interface CostPlan {
  /** The operation, whose document the collected fields point into. */
  operation: OperationDefinitionNode;
  collector: FieldCollector;
  root: GraphQLObjectType | undefined;
  fields: readonly CollectedField[];
  /** Mutation fields cost MUTATION_COST each when they return data. */
  mutation: boolean;
}

const MUTATION_COST = 10;

/** A document's fragments by name. */
export function fragmentsOf(document: { definitions: readonly ASTNode[] }): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

/** How the static analysis reads a variable: its value, or only the type of the global ids it holds. */
export type Measure = 'value' | 'id-type';

/** Arguments whose values the static analysis reads; `id` and `ids` only for the type their ids name. */
const MEASURED_ARGUMENTS: ReadonlyMap<string, Measure> = new Map([
  ['first', 'value'],
  ['last', 'value'],
  ['id', 'id-type'],
  ['ids', 'id-type'],
]);

/**
 * The variables the static analysis of `operation` depends on, and how: those of `@include`
 * and `@skip`, of page sizes, and the id types of `id` and `ids`. Its result is the same for
 * any two requests that agree on them (see `measure`).
 */
export function measuredVariables(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
): Map<string, Measure> {
  const measured = new Map<string, Measure>();
  const note = (node: ASTNode, how: Measure) =>
    visit(node, { Variable: (variable) => void measured.set(variable.name.value, measured.get(variable.name.value) ?? how) });
  for (const definition of [operation, ...reachableFragments(operation, fragments)]) {
    visit(definition, {
      Directive(directive) {
        for (const argument of directive.arguments ?? []) note(argument.value, 'value');
        return false;
      },
      Argument(argument) {
        const how = MEASURED_ARGUMENTS.get(argument.name.value);
        if (how) note(argument.value, how);
        return false;
      },
    });
  }
  return measured;
}

/** What the analysis reads of a variable's value (see measuredVariables). */
export function measure(value: unknown, how: Measure): unknown {
  if (how === 'value') return value;
  return Array.isArray(value) ? value.map((id) => idTypeOf(id) ?? null) : (idTypeOf(value) ?? null);
}

/** The cost, depth and size of an operation before it runs, and its plan for the actual cost. */
export function analyseOperation({ schema, operation, fragments, variables }: Operation, limits: CostLimits): OperationShape {
  const { aliases, directives } = countInDocument(operation, fragments);
  const collector = new FieldCollector(schema, fragments, variables);
  const root = schema.getRootType(operation.operation) ?? undefined;
  const mutation = operation.operation === 'mutation';
  if (!root)
    return { cost: 0, depth: 0, aliases, directives, oversizedPages: [], plan: { operation, collector, root, fields: [], mutation } };
  const fields = collector.fieldsOf(root, operation.selectionSet);
  const walk = new StaticWalk(collector, limits);
  let cost = 0;
  let depth = 0;
  for (const field of fields) {
    const figures = walk.field(field, field.key);
    cost += figures.cost + (mutation && field.definition ? MUTATION_COST : 0);
    depth = Math.max(depth, figures.depth);
  }
  return { cost, depth, aliases, directives, oversizedPages: walk.oversizedPages, plan: { operation, collector, root, fields, mutation } };
}

/** What an operation cost, by the same model, with the lists as long as they came back. */
export function actualCost(plan: CostPlan, data: Record<string, unknown> | null | undefined): number {
  if (!data || !plan.root) return 0;
  let total = 0;
  for (const field of plan.fields) {
    const value = data[field.key];
    total += dataCost(plan.collector, field, value);
    if (plan.mutation && field.definition && value != null) total += MUTATION_COST;
  }
  return total;
}

interface Figures {
  cost: number;
  depth: number;
}

/**
 * The static cost and depth of each collected field, memoised on the collector's objects, so
 * a sub-selection shared by many paths is counted once however large its total.
 */
class StaticWalk {
  readonly oversizedPages: OperationShape['oversizedPages'] = [];
  private readonly figures = new Map<CollectedField, Figures>();
  private readonly selections = new Map<CollectedField, Map<GraphQLObjectType, Figures>>();

  constructor(
    private readonly collector: FieldCollector,
    private readonly limits: CostLimits,
  ) {}

  field(field: CollectedField, path: string): Figures {
    let figures = this.figures.get(field);
    if (!figures) {
      figures = this.compute(field, path);
      this.figures.set(field, figures);
    }
    return figures;
  }

  private compute(field: CollectedField, path: string): Figures {
    const type = namedTypeOf(field);
    // Introspection is bounded by the schema's own size; its deep type references are no load.
    if (!field.definition || !type) return { cost: 0, depth: 0 };
    if (isLeafType(type)) return { cost: 0, depth: 1 };
    if (isConnection(field)) {
      const size = this.pageSize(field, path);
      let cost = 2;
      let depth = 0;
      for (const part of this.collector.subfieldsOf(type as GraphQLObjectType, field)) {
        const figures = isPage(type as GraphQLObjectType, part)
          ? this.times(size, this.selection(part, path))
          : this.field(part, `${path}.${part.key}`);
        cost += figures.cost;
        depth = Math.max(depth, figures.depth);
      }
      return { cost, depth: depth + 1 };
    }
    const items = this.selection(field, path);
    if (!isList(field.definition.type)) return { cost: 1 + items.cost, depth: items.depth + 1 };
    const ids = argumentOf(this.collector, field, 'ids');
    const length = Array.isArray(ids) ? ids.length : this.limits.defaultListSize;
    return { cost: 1 + length * items.cost, depth: items.depth + 1 };
  }

  /** What one value of the field selects, for the type its id names, else the most of any type it may have. */
  private selection(field: CollectedField, path: string): Figures {
    const types = runtimeTypes(this.collector, field);
    let cost = 0;
    let depth = 0;
    for (const type of types) {
      const figures = this.selectionOf(type, field, path);
      cost = Math.max(cost, figures.cost);
      depth = Math.max(depth, figures.depth);
    }
    return { cost, depth };
  }

  private selectionOf(type: GraphQLObjectType, field: CollectedField, path: string): Figures {
    let byType = this.selections.get(field);
    if (!byType) this.selections.set(field, (byType = new Map()));
    let figures = byType.get(type);
    if (!figures) {
      figures = { cost: 0, depth: 0 };
      for (const child of this.collector.subfieldsOf(type, field)) {
        const childFigures = this.field(child, `${path}.${child.key}`);
        figures.cost += childFigures.cost;
        figures.depth = Math.max(figures.depth, childFigures.depth);
      }
      byType.set(type, figures);
    }
    return figures;
  }

  private times(size: number, item: Figures): Figures {
    return { cost: size * item.cost, depth: item.depth + 1 };
  }

  private pageSize(field: CollectedField, path: string): number {
    let size = this.limits.defaultPageSize;
    for (const argument of ['first', 'last'] as const) {
      const value = argumentOf(this.collector, field, argument);
      if (typeof value !== 'number') continue;
      if (value > this.limits.maxPageSize) this.oversizedPages.push({ path, argument, value });
      size = Math.max(0, Math.min(value, this.limits.maxPageSize));
    }
    return size;
  }
}

type Data = Record<string, unknown>;

/** The actual cost of one field's value. A null value, or a field the data lacks, costs nothing. */
function dataCost(collector: FieldCollector, field: CollectedField, value: unknown): number {
  const type = namedTypeOf(field);
  if (value === null || value === undefined || !field.definition || !type || isLeafType(type)) return 0;
  if (isConnection(field)) {
    let total = 2;
    for (const part of collector.subfieldsOf(type as GraphQLObjectType, field)) {
      const partValue = (value as Data)[part.key];
      total += isPage(type as GraphQLObjectType, part) ? itemsCost(collector, part, partValue) : dataCost(collector, part, partValue);
    }
    return total;
  }
  if (Array.isArray(value)) return 1 + itemsCost(collector, field, value);
  return 1 + itemCost(collector, field, value as Data, 0);
}

function itemsCost(collector: FieldCollector, field: CollectedField, items: unknown): number {
  if (!Array.isArray(items)) return 0;
  let total = 0;
  items.forEach((item, index) => {
    if (item !== null && item !== undefined) total += itemCost(collector, field, item as Data, index);
  });
  return total;
}

/** What one item selected, for its type: the type its id names, else the most of any type it may have. */
function itemCost(collector: FieldCollector, field: CollectedField, item: Data, index: number): number {
  let most = 0;
  for (const type of runtimeTypes(collector, field, index)) {
    let total = 0;
    for (const child of collector.subfieldsOf(type, field)) total += dataCost(collector, child, item[child.key]);
    most = Math.max(most, total);
  }
  return most;
}

/**
 * The object types a value of the field may have. For an interface (`node`, `nodes`) the
 * type is the one its global id names (see `nodeTypeOf`), which is what `Node.__resolveType`
 * will answer; `index` picks the id of one item of a list.
 */
function runtimeTypes(collector: FieldCollector, field: CollectedField, index?: number): readonly GraphQLObjectType[] {
  const possible = collector.possibleTypes(field);
  if (possible.length <= 1) return possible;
  const list = argumentOf(collector, field, 'ids');
  const ids = Array.isArray(list) ? (index === undefined ? list : [list[index]]) : [argumentOf(collector, field, 'id')];
  const named = ids.map(idTypeOf);
  if (named.some((name) => name === undefined)) return possible;
  return possible.filter((type) => named.includes(type.name));
}

function idTypeOf(id: unknown): string | undefined {
  return typeof id === 'string' ? nodeTypeOf(id) : undefined;
}

/**
 * One argument of a field as graphql-js coerces it: only that argument's variables are read,
 * so the analysis depends on no other (see measuredVariables).
 */
function argumentOf(collector: FieldCollector, field: CollectedField, name: string): unknown {
  const definition = field.definition!.args.find((argument) => argument.name === name);
  const node = field.nodes[0]!.arguments?.find((argument) => argument.name.value === name);
  if (!definition || !node) return definition?.defaultValue;
  return valueFromAST(node.value, definition.type, collector.variables);
}

/** A Relay connection: its type is named *Connection (every one of this schema is). */
function isConnection(field: CollectedField): boolean {
  const type = namedTypeOf(field);
  return type !== undefined && isObjectType(type) && type.name.endsWith('Connection');
}

/** The fields of a connection that hold its page: `edges` and `nodes`. */
function isPage(connection: GraphQLObjectType, field: CollectedField): boolean {
  return connection.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes');
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Aliases and directives written in the operation and the fragments it spreads, each counted once. */
function countInDocument(operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>) {
  let aliases = 0;
  let directives = 0;
  for (const definition of [operation, ...reachableFragments(operation, fragments)]) {
    visit(definition, {
      Field: (field) => void (field.alias && (aliases += 1)),
      Directive: () => void (directives += 1),
    });
  }
  return { aliases, directives };
}

/** The fragments an operation spreads, directly or through other fragments, each once. */
function reachableFragments(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const reached = new Map<string, FragmentDefinitionNode>();
  const pending: ASTNode[] = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(spread) {
        const fragment = fragments[spread.name.value];
        if (fragment && !reached.has(fragment.name.value)) {
          reached.set(fragment.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...reached.values()];
}
