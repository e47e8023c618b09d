import {
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
  validate,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { toGlobalId, type NodeType } from '../../src/graphql/index.js';
import { PRODUCT_ORDER_FIELDS, type FuzzData } from './data.js';
import type { Random } from './random.js';

/** A random valid operation and its variables. */
export interface GeneratedOperation {
  query: string;
  variables: Record<string, unknown>;
}

/** Fields no generated operation selects: their values change between two reads (latencies, counters). */
const LEFT_OUT = new Set(['Query.clusterStatus']);
const NODE_TYPES: NodeType[] = ['Product', 'Category', 'Customer', 'Order', 'Review', 'Warehouse'];

/**
 * Random operations over the schema, valid by graphql-js's rules: aliases, nested named and
 * inline fragments on objects, on the Node interface and on Query, `@include`/`@skip` with
 * variables, variables absent, null or given, connections with every paging argument and
 * field, filters and orderings with values from the data (rare phrases too), `node`/`nodes`
 * with ids of every type, unknown and malformed ones, and `__typename`. Now and then a value
 * is invalid on purpose (a cursor of another order, both first and last): every path must
 * refuse it the same way.
 */
export function generateOperation(schema: GraphQLSchema, data: FuzzData, random: Random): GeneratedOperation {
  for (let attempt = 0; ; attempt += 1) {
    const operation = new OperationWriter(schema, data, random).write();
    // Rarely, two fields under one key meet with different arguments or types; draw again.
    if (validate(schema, parse(operation.query)).length === 0) return operation;
    if (attempt > 50) throw new Error(`no valid operation after 50 attempts: ${operation.query}`);
  }
}

class OperationWriter {
  private readonly definitions: string[] = [];
  private readonly variables: Record<string, unknown> = {};
  private readonly fragments: string[] = [];
  private counter = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly data: FuzzData,
    private readonly random: Random,
  ) {}

  write(): GeneratedOperation {
    const query = this.schema.getQueryType()!;
    const selection = this.selectionSet(query, this.random.int(2, 4), { inFragment: false, root: true });
    const name = this.random.chance(0.5) ? ` Fuzz${this.random.int(1, 999)}` : '';
    const head =
      this.definitions.length > 0 || name ? `query${name}${this.definitions.length > 0 ? `(${this.definitions.join(', ')})` : ''} ` : '';
    return { query: [`${head}${selection}`, ...this.fragments].join('\n'), variables: this.variables };
  }

  // Selections.

  private selectionSet(
    type: GraphQLObjectType | GraphQLInterfaceType,
    depth: number,
    context: { inFragment: boolean; root?: boolean },
  ): string {
    if (isInterfaceType(type)) return this.interfaceSelection(type, depth);
    const fields = Object.values(type.getFields()).filter((field) => !LEFT_OUT.has(`${type.name}.${field.name}`));
    const picked = this.random.some(fields, context.root ? this.random.int(1, 3) : this.random.int(1, 4));
    const parts = picked.map((field) => this.field(type, field, depth, context));
    if (this.random.chance(0.15)) parts.push(this.leaf('__typename'));
    if (depth > 0 && this.random.chance(0.2)) parts.push(this.inlineFragment(type, depth));
    if (depth > 0 && this.random.chance(0.15)) parts.push(...this.fragmentSpreads(type, depth));
    if (this.random.chance(0.03)) parts.push(this.doublingChain(type));
    const repeatable = picked.filter((field) => field.args.length === 0 && !isLeafType(getNamedType(field.type)));
    // The same field again under its own name: GraphQL merges the two selections.
    if (depth > 0 && repeatable.length > 0 && this.random.chance(0.2))
      parts.push(this.field(type, this.random.pick(repeatable), depth, context, false));
    return `{ ${parts.join(' ')} }`;
  }

  private interfaceSelection(type: GraphQLInterfaceType, depth: number): string {
    const parts = [this.random.chance(0.5) ? 'id' : '__typename'];
    for (const possible of this.random.some(this.schema.getPossibleTypes(type), this.random.int(1, 3))) {
      parts.push(`... on ${possible.name} ${this.selectionSet(possible, depth, { inFragment: true })}`);
    }
    if (depth > 0 && this.random.chance(0.3))
      parts.push(...this.fragmentSpreads(this.random.pick(this.schema.getPossibleTypes(type)), depth));
    return `{ ${parts.join(' ')} }`;
  }

  private field(
    parent: GraphQLObjectType,
    field: GraphQLField<unknown, unknown>,
    depth: number,
    context: { inFragment: boolean },
    mayAlias = true,
  ): string {
    const type = getNamedType(field.type);
    const args = this.argumentsOf(parent, field);
    // Fields with arguments inside fragments get keys of their own, so merged fragments never clash.
    const alias = mayAlias && ((args !== '' && context.inFragment) || this.random.chance(0.25)) ? `f${(this.counter += 1)}: ` : '';
    const directive = this.random.chance(0.08) ? ` ${this.condition()}` : '';
    if (isLeafType(type)) return `${alias}${field.name}${args}${directive}`;
    const inner =
      isObjectType(type) && type.name.endsWith('Connection')
        ? this.connection(type, depth)
        : this.composite(type as GraphQLObjectType, depth, context);
    return `${alias}${field.name}${args}${directive} ${inner}`;
  }

  private composite(type: GraphQLObjectType | GraphQLInterfaceType, depth: number, context: { inFragment: boolean }): string {
    if (depth <= 0)
      return isInterfaceType(type) || 'id' in type.getFields() ? this.random.pick(['{ id }', '{ __typename }']) : '{ __typename }';
    return this.selectionSet(type, depth - 1, context);
  }

  private connection(type: GraphQLObjectType, depth: number): string {
    const item = getNamedType(type.getFields().nodes!.type) as GraphQLObjectType;
    const parts: string[] = [];
    const names = ['edges', 'nodes', 'pageInfo', 'totalCount', '__typename', ...(type.name === 'ProductConnection' ? ['facets'] : [])];
    for (const part of this.random.some(names, this.random.int(1, 3))) {
      if (part === 'edges') {
        const edge = [
          this.random.chance(0.8) ? 'cursor' : '',
          this.random.chance(0.85) ? `node ${this.composite(item, depth - 1, { inFragment: true })}` : '',
        ]
          .filter(Boolean)
          .join(' ');
        parts.push(`edges { ${edge || '__typename'} }`);
      } else if (part === 'nodes') parts.push(`nodes ${this.composite(item, depth - 1, { inFragment: true })}`);
      else if (part === 'pageInfo') {
        parts.push(
          `pageInfo { ${this.random.some(['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'], this.random.int(1, 4)).join(' ')} }`,
        );
      } else if (part === 'facets') parts.push(this.facets());
      else parts.push(part);
    }
    // A page inside a fragment on the connection, inline or named (what Relay's generated queries do).
    if (depth > 0 && this.random.chance(0.2))
      parts.push(`... on ${type.name} { nodes ${this.composite(item, depth - 1, { inFragment: true })} }`);
    if (depth > 0 && this.random.chance(0.1)) {
      const name = `P${(this.counter += 1)}`;
      this.fragments.push(
        `fragment ${name} on ${type.name} { edges { node ${this.composite(item, depth - 1, { inFragment: true })} } totalCount }`,
      );
      parts.push(`...${name}`);
    }
    return `{ ${parts.join(' ')} }`;
  }

  /** Some of a product connection's facets, the price bands in a currency with products or not, or in no currency at all. */
  private facets(): string {
    const random = this.random;
    const parts = random.some(
      [
        `categories { count ${random.pick(['category { id name }', '__typename'])} }`,
        `priceBands(currency: ${JSON.stringify(random.pick(['USD', 'USD', 'EUR', 'dollars']))}) { ${random.some(['currency', 'min', 'below', 'count'], random.int(1, 4)).join(' ')} }`,
        'inStock',
        'outOfStock',
      ],
      random.int(1, 4),
    );
    return `facets { ${parts.join(' ')} }`;
  }

  private leaf(name: string): string {
    return this.random.chance(0.3) ? `f${(this.counter += 1)}: ${name}` : name;
  }

  private inlineFragment(type: GraphQLObjectType, depth: number): string {
    const conditions = [type.name, ...type.getInterfaces().map((face) => face.name), ''];
    const condition = this.random.pick(conditions);
    const directive = this.random.chance(0.3) ? ` ${this.condition()}` : '';
    const target = condition === '' ? type : (this.schema.getType(condition) as GraphQLObjectType | GraphQLInterfaceType);
    const inner = isInterfaceType(target)
      ? this.interfaceSelection(target, depth - 1)
      : this.selectionSet(type, depth - 1, { inFragment: true });
    return `...${condition ? ` on ${condition}` : ''}${directive} ${inner}`;
  }

  /** A named fragment on the type or an interface it implements, spread once or twice, maybe through another fragment. */
  private fragmentSpreads(type: GraphQLObjectType, depth: number): string[] {
    const on = this.random.chance(0.3) && type.getInterfaces().length > 0 ? type.getInterfaces()[0]! : type;
    const name = `F${(this.counter += 1)}`;
    let body = isInterfaceType(on) ? this.interfaceSelection(on, depth - 1) : this.selectionSet(type, depth - 1, { inFragment: true });
    if (this.random.chance(0.3)) {
      const inner = `F${(this.counter += 1)}`;
      this.fragments.push(`fragment ${inner} on ${type.name} ${this.selectionSet(type, Math.max(0, depth - 2), { inFragment: true })}`);
      body = `${body.slice(0, -1)} ...${inner} }`;
    }
    this.fragments.push(`fragment ${name} on ${on.name} ${body}`);
    const spread = `...${name}${this.random.chance(0.2) ? ` ${this.condition()}` : ''}`;
    return this.random.chance(0.3) ? [spread, `...${name}`] : [spread];
  }

  /** Fragments that each spread the next twice, the last selecting a few fields: 2^n selections unrolled, one collected. */
  private doublingChain(type: GraphQLObjectType): string {
    const names = Array.from({ length: this.random.int(3, 8) }, () => `D${(this.counter += 1)}`);
    const leaves = Object.values(type.getFields()).filter((field) => isLeafType(getNamedType(field.type)) && field.args.length === 0);
    names.forEach((name, index) => {
      const next = names[index + 1];
      const body = next ? `...${next} ...${next}` : ['__typename', ...this.random.some(leaves, 2).map((field) => field.name)].join(' ');
      this.fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
    });
    return `...${names[0]}`;
  }

  /** `@include` or `@skip` with a literal or a Boolean variable, absent (its default) or given. */
  private condition(): string {
    const directive = this.random.pick(['include', 'skip']);
    if (this.random.chance(0.3)) return `@${directive}(if: ${this.random.chance(0.5)})`;
    const name = `v${(this.counter += 1)}`;
    if (this.random.chance(0.3)) this.definitions.push(`$${name}: Boolean = ${this.random.chance(0.5)}`);
    else {
      this.definitions.push(`$${name}: Boolean!`);
      this.variables[name] = this.random.chance(0.5);
    }
    return `@${directive}(if: $${name})`;
  }

  // Arguments.

  private argumentsOf(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>): string {
    const values = this.argumentValues(`${parent.name}.${field.name}`, getNamedType(field.type).name);
    const rendered = Object.entries(values).map(([name, value]) => {
      const definition = field.args.find((argument) => argument.name === name)!;
      return `${name}: ${this.valueOrVariable(value, String(definition.type), !isNonNullType(definition.type))}`;
    });
    return rendered.length > 0 ? `(${rendered.join(', ')})` : '';
  }

  /** Argument values for a field, in schema terms; a missing key is an argument left out. */
  private argumentValues(field: string, type: string): Record<string, Value> {
    const random = this.random;
    switch (field) {
      case 'Query.product': {
        const by = random.next();
        if (by < 0.45) return { id: this.idOf('Product') };
        if (by < 0.9) return { sku: random.chance(0.9) ? random.pick(this.data.skus) : 'SKU-NONE' };
        return random.chance(0.5) ? {} : { id: this.idOf('Product'), sku: random.pick(this.data.skus) };
      }
      case 'Query.productBySku':
        return { sku: random.chance(0.9) ? random.pick(this.data.skus) : 'SKU-NONE' };
      case 'Query.productBySlug':
        return { slug: random.chance(0.9) ? random.pick(this.data.productSlugs) : random.pick(['no-such-product', '', 'Ä']) };
      case 'Query.categoryBySlug':
        return { slug: random.chance(0.9) ? random.pick(this.data.categorySlugs) : 'no-such-category' };
      case 'Query.category':
        return { id: this.idOf('Category') };
      case 'Query.orderByNumber':
        return { number: random.chance(0.9) ? random.pick(this.data.orderNumbers) : random.pick(['SG-999999999', 'sg-000001', '']) };
      case 'Query.customer':
        return { id: this.idOf('Customer') };
      case 'Query.order':
        return { id: this.idOf('Order') };
      case 'Query.node':
        return { id: this.idOf(random.pick(NODE_TYPES)) };
      case 'Query.nodes':
        return { ids: Array.from({ length: random.int(1, 4) }, () => this.idOf(random.pick(NODE_TYPES))) };
      case 'Query.products':
      case 'Category.products': {
        const orderBy = random.chance(0.5)
          ? { field: random.pick([...PRODUCT_ORDER_FIELDS, 'RELEVANCE']), direction: random.pick(['ASC', 'DESC']) }
          : undefined;
        const order = orderBy ? `${orderBy.field}_${orderBy.direction}` : 'NAME_ASC';
        // A category's products take filterBy, or the deprecated filter, and now and then both (refused alike).
        const filterName = field === 'Category.products' && random.chance(0.6) ? 'filterBy' : 'filter';
        const filters = random.chance(0.6) ? { [filterName]: this.productFilter(filterName === 'filterBy') } : {};
        if (field === 'Category.products' && random.chance(0.03))
          Object.assign(filters, { filter: this.productFilter(), filterBy: this.productFilter(true) });
        if (field === 'Category.products' && random.chance(0.4)) Object.assign(filters, { includeSubcategories: random.chance(0.7) });
        return { ...this.paging(type, order), ...filters, ...(orderBy ? { orderBy: enums(orderBy) } : {}) };
      }
      case 'Warehouse.stock':
        return this.paging(type, 'PRODUCT_ASC');
      case 'Query.categories':
        return { ...this.paging(type, 'NAME_ASC'), ...(random.chance(0.4) ? { parentId: this.idOf('Category') } : {}) };
      case 'Query.customers':
        return { ...this.paging(type, 'CREATED_AT_DESC'), ...(random.chance(0.4) ? { search: random.pick(this.data.customerTerms) } : {}) };
      case 'Query.orders':
        return { ...this.paging(type, 'CREATED_AT_DESC'), ...(random.chance(0.7) ? { filter: this.orderFilter() } : {}) };
      case 'Product.reviews':
      case 'Customer.orders':
      case 'Viewer.orders':
      case 'Viewer.reviews':
        return this.paging(type, 'CREATED_AT_DESC');
      default:
        return {};
    }
  }

  /** Paging arguments: forward, backward, from a cursor of this order or now and then of another, or none. */
  private paging(connection: string, order: string): Record<string, Value> {
    const random = this.random;
    const size = () => (random.chance(0.05) ? random.pick([null, 0, 20]) : random.int(1, 4));
    const cursor = () => {
      const own = this.data.cursors[`${connection}:${order}`] ?? [];
      const any = Object.values(this.data.cursors).flat();
      return random.chance(0.9) && own.length > 0 ? random.pick(own) : random.chance(0.5) ? random.pick(any) : 'bm90IGEgY3Vyc29y';
    };
    const mode = random.next();
    if (mode < 0.45) return { first: size(), ...(random.chance(0.4) ? { after: cursor() } : {}) };
    if (mode < 0.8) return { last: size(), ...(random.chance(0.5) ? { before: cursor() } : {}) };
    if (mode < 0.9) return { first: size(), after: cursor(), before: cursor() };
    if (mode < 0.97) return random.chance(0.5) ? {} : { after: cursor() };
    return { first: 1, last: 1 };
  }

  private productFilter(withoutCategory = false): Value {
    const random = this.random;
    const filter: Record<string, Value> = {};
    if (!withoutCategory && random.chance(0.3)) filter.categoryId = this.idOf(random.chance(0.95) ? 'Category' : 'Product');
    if (random.chance(0.5)) filter.search = this.searchText();
    if (random.chance(0.3))
      filter.text = random.chance(0.8) ? this.searchText() : random.pick(['"oak kettle"', 'oak -steel', 'kettle OR lamp', 'the', '!!']);
    if (random.chance(0.3)) filter.minPrice = random.chance(0.95) ? random.pick(this.data.prices) : 'cheap';
    if (random.chance(0.3)) filter.maxPrice = random.pick([...this.data.prices, '1000000']);
    if (random.chance(0.3)) filter.inStock = random.chance(0.5);
    if (random.chance(0.25)) {
      const price: Record<string, Value> = { currency: random.pick(['USD', 'USD', 'EUR', 'usd']) };
      if (random.chance(0.6)) price.min = random.pick(this.data.prices);
      if (random.chance(0.6)) price.below = random.pick([...this.data.prices, '1000.00']);
      filter.price = new Input(price);
    }
    if (random.chance(0.2)) filter.status = new Enum(random.pick(['ACTIVE', 'DRAFT', 'ARCHIVED']));
    return new Input(filter);
  }

  private searchText(): string {
    const random = this.random;
    const kind = random.next();
    if (kind < 0.4) return random.pick(this.data.words).toLowerCase();
    if (kind < 0.75) return random.pick(this.data.phrases);
    if (kind < 0.85) return random.pick(this.data.words).slice(0, 3).toUpperCase();
    return random.pick(['zz-no-such-product', '%', '_', 'a\\b', "o'k", ' oak ', 'é']);
  }

  private orderFilter(): Value {
    const random = this.random;
    const filter: Record<string, Value> = {};
    if (random.chance(0.5)) filter.customerId = this.idOf('Customer');
    if (random.chance(0.3)) filter.status = new Enum(random.pick(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']));
    if (random.chance(0.3)) filter.createdAfter = random.pick(this.data.times);
    if (random.chance(0.3)) filter.createdBefore = random.pick(this.data.times);
    return new Input(filter);
  }

  /** An id of this type that exists; now and then one that does not, or one that is no id. */
  private idOf(type: NodeType): string {
    const random = this.random;
    const kind = random.next();
    if (kind < 0.88 && this.data.ids[type].length > 0) return random.pick(this.data.ids[type]);
    if (kind < 0.96) return toGlobalId(type, 9_999_999);
    return random.pick(['x', 'UHJvZHVjdDo', toGlobalId(random.pick(NODE_TYPES), 1)]);
  }

  /** A value written in the document, or as a variable that is given, null or (for a nullable one) absent. */
  private valueOrVariable(value: Value, type: string, nullable: boolean): string {
    const random = this.random;
    if (value instanceof Input && random.chance(0.3)) {
      // The input's fields one by one: some written, some variables.
      const fieldTypes = inputFieldTypes(this.schema, type);
      return `{ ${Object.entries(value.fields)
        .map(([name, inner]) => `${name}: ${this.valueOrVariable(inner, fieldTypes[name]!, true)}`)
        .join(', ')} }`;
    }
    if (random.chance(0.55)) return literal(value);
    const name = `v${(this.counter += 1)}`;
    this.definitions.push(`$${name}: ${type}`);
    const state = nullable ? random.next() : 1;
    if (state < 0.1) return `$${name}`;
    this.variables[name] = state < 0.2 ? null : plain(value);
    return `$${name}`;
  }
}

/** A value of an enum, written bare in a document. */
class Enum {
  constructor(readonly name: string) {}
}

/** A value of an input object. */
class Input {
  constructor(readonly fields: Record<string, Value>) {}
}

type Value = string | number | boolean | null | Enum | Input | Value[];

function enums(record: Record<string, string>): Input {
  return new Input(Object.fromEntries(Object.entries(record).map(([name, value]) => [name, new Enum(value)])));
}

function literal(value: Value): string {
  if (value instanceof Enum) return value.name;
  if (value instanceof Input)
    return `{ ${Object.entries(value.fields)
      .map(([name, inner]) => `${name}: ${literal(inner)}`)
      .join(', ')} }`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return JSON.stringify(value);
}

/** The value as JSON variables carry it. */
function plain(value: Value): unknown {
  if (value instanceof Enum) return value.name;
  if (value instanceof Input) return Object.fromEntries(Object.entries(value.fields).map(([name, inner]) => [name, plain(inner)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function inputFieldTypes(schema: GraphQLSchema, type: string): Record<string, string> {
  const input = schema.getType(type.replace(/!$/, ''));
  if (!input || !('getFields' in input) || isAbstractType(input)) return {};
  return Object.fromEntries(Object.values(input.getFields()).map((field) => [field.name, String(field.type)]));
}
