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
 * The fields of an operation that cost something (objects, lists, connections), as GraphQL's
 * own collection selects them: built once per operation and what it reads of the variables,
 * so the actual cost of each response is a walk over its data alone. Sub-selections shared
 * by many paths are shared here too.
 */
export interface CostPlan {
  /** The operation, whose document the collected fields point into. */
  operation: OperationDefinitionNode;
  collector: FieldCollector;
  fields: readonly CostNode[];
  /** Response keys of mutation fields, which cost MUTATION_COST each when they return data. */
  mutationKeys: readonly string[];
}

type CostNode =
  | { kind: 'object' | 'list'; key: string; item: ItemPlan }
  | { kind: 'connection'; key: string; parts: readonly CostNode[]; pages: readonly { key: string; item: ItemPlan }[] };

/**
 * What an item of a field's value selects, by its position in a list: one set of fields, or
 * for an interface whose ids name no type, one per type it may have (it costs the most of them).
 */
type ItemPlan = (index: number) => readonly (readonly CostNode[])[];

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
  const shape = { cost: 0, depth: 0, aliases, directives, oversizedPages: [] as OperationShape['oversizedPages'] };
  if (!root) return { ...shape, plan: { operation, collector, fields: [], mutationKeys: [] } };
  const fields = collector.fieldsOf(root, operation.selectionSet);
  const walk = new StaticWalk(collector, limits);
  const planned: CostNode[] = [];
  const mutationKeys = operation.operation === 'mutation' ? fields.filter((field) => field.definition).map((field) => field.key) : [];
  for (const field of fields) {
    const walked = walk.field(field, field.key);
    shape.cost += walked.cost;
    shape.depth = Math.max(shape.depth, walked.depth);
    if (walked.node) planned.push(walked.node);
  }
  shape.cost += MUTATION_COST * mutationKeys.length;
  return { ...shape, oversizedPages: walk.oversizedPages, plan: { operation, collector, fields: planned, mutationKeys } };
}

/** What an operation cost, by the same model, with the lists as long as they came back. */
export function actualCost(plan: CostPlan, data: Record<string, unknown> | null | undefined): number {
  if (!data) return 0;
  let total = 0;
  for (const node of plan.fields) total += nodeCost(node, data[node.key]);
  for (const key of plan.mutationKeys) if (data[key] != null) total += MUTATION_COST;
  return total;
}

interface Figures {
  cost: number;
  depth: number;
}

interface Walked extends Figures {
  /** How the field's value is costed after it ran; none for scalars and introspection. */
  node?: CostNode;
}

interface Selection extends Figures {
  fields: CostNode[];
}

/**
 * The static cost and depth of each collected field, and its cost plan, memoised on the
 * collector's objects, so a sub-selection shared by many paths is counted once however large
 * its total.
 */
class StaticWalk {
  readonly oversizedPages: OperationShape['oversizedPages'] = [];
  private readonly walked = new Map<CollectedField, Walked>();
  private readonly selections = new Map<CollectedField, Map<GraphQLObjectType, Selection>>();

  constructor(
    private readonly collector: FieldCollector,
    private readonly limits: CostLimits,
  ) {}

  field(field: CollectedField, path: string): Walked {
    let walked = this.walked.get(field);
    if (!walked) {
      walked = this.compute(field, path);
      this.walked.set(field, walked);
    }
    return walked;
  }

  private compute(field: CollectedField, path: string): Walked {
    const type = namedTypeOf(field);
    // Introspection is bounded by the schema's own size; its deep type references are no load.
    if (!field.definition || !type) return { cost: 0, depth: 0 };
    if (isLeafType(type)) return { cost: 0, depth: 1 };
    const { key } = field;
    if (isConnection(field)) {
      const connection = type as GraphQLObjectType;
      const size = this.pageSize(field, path);
      let cost = 2;
      let depth = 0;
      const parts: CostNode[] = [];
      const pages: { key: string; item: ItemPlan }[] = [];
      for (const part of this.collector.subfieldsOf(connection, field)) {
        if (isPage(connection, part)) {
          const items = this.items(part, path);
          cost += size * items.cost;
          depth = Math.max(depth, items.depth + 1);
          pages.push({ key: part.key, item: items.plan });
        } else {
          const walked = this.field(part, `${path}.${part.key}`);
          cost += walked.cost;
          depth = Math.max(depth, walked.depth);
          if (walked.node) parts.push(walked.node);
        }
      }
      return { cost, depth: depth + 1, node: { kind: 'connection', key, parts, pages } };
    }
    const items = this.items(field, path);
    if (!isList(field.definition.type))
      return { cost: 1 + items.cost, depth: items.depth + 1, node: { kind: 'object', key, item: items.plan } };
    const ids = argumentOf(this.collector, field, 'ids');
    const length = Array.isArray(ids) ? ids.length : this.limits.defaultListSize;
    return { cost: 1 + length * items.cost, depth: items.depth + 1, node: { kind: 'list', key, item: items.plan } };
  }

  /**
   * What one value of the field selects, and its plan: for the type its id names, else the
   * most of any type it may have.
   */
  private items(field: CollectedField, path: string): Figures & { plan: ItemPlan } {
    const possible = this.collector.possibleTypes(field);
    const selections = new Map(possible.map((type) => [type, this.selectionOf(type, field, path)]));
    const of = (types: readonly GraphQLObjectType[]) => types.map((type) => selections.get(type)!.fields);
    let cost = 0;
    let depth = 0;
    for (const type of runtimeTypes(this.collector, field)) {
      cost = Math.max(cost, selections.get(type)!.cost);
      depth = Math.max(depth, selections.get(type)!.depth);
    }
    if (possible.length <= 1) {
      const fields = of(possible);
      return { cost, depth, plan: () => fields };
    }
    const ids = argumentOf(this.collector, field, 'ids');
    const byIndex = Array.isArray(ids)
      ? ids.map((_, index) => of(runtimeTypes(this.collector, field, index)))
      : [of(runtimeTypes(this.collector, field))];
    const anyType = of(possible);
    return { cost, depth, plan: (index) => byIndex[Array.isArray(ids) ? index : 0] ?? anyType };
  }

  private selectionOf(type: GraphQLObjectType, field: CollectedField, path: string): Selection {
    let byType = this.selections.get(field);
    if (!byType) this.selections.set(field, (byType = new Map()));
    let selection = byType.get(type);
    if (!selection) {
      selection = { cost: 0, depth: 0, fields: [] };
      for (const child of this.collector.subfieldsOf(type, field)) {
        const walked = this.field(child, `${path}.${child.key}`);
        selection.cost += walked.cost;
        selection.depth = Math.max(selection.depth, walked.depth);
        if (walked.node) selection.fields.push(walked.node);
      }
      byType.set(type, selection);
    }
    return selection;
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
function nodeCost(node: CostNode, value: unknown): number {
  if (value === null || value === undefined) return 0;
  switch (node.kind) {
    case 'object':
      return 1 + itemCost(node.item, value as Data, 0);
    case 'list':
      return 1 + itemsCost(node.item, value);
    case 'connection': {
      let total = 2;
      for (const part of node.parts) total += nodeCost(part, (value as Data)[part.key]);
      for (const page of node.pages) total += itemsCost(page.item, (value as Data)[page.key]);
      return total;
    }
  }
}

function itemsCost(plan: ItemPlan, items: unknown): number {
  if (!Array.isArray(items)) return 0;
  let total = 0;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index] as Data | null | undefined;
    if (item !== null && item !== undefined) total += itemCost(plan, item, index);
  }
  return total;
}

function itemCost(plan: ItemPlan, item: Data, index: number): number {
  let most = 0;
  for (const fields of plan(index)) {
    let total = 0;
    for (const field of fields) total += nodeCost(field, item[field.key]);
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
