import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { actualCost, analyseOperation } from '../../src/graphql/limits/cost.js';
import { gid } from '../support/ids.js';

const schema = buildSchema(loadSchemaSource());
const limits = { maxPageSize: 100, defaultPageSize: 20, defaultListSize: 10 };

function operationOf(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [(fragment as FragmentDefinitionNode).name.value, fragment]),
  ) as Record<string, FragmentDefinitionNode>;
  return { schema, operation, fragments, variables };
}

const analyse = (query: string, variables: Record<string, unknown> = {}) => analyseOperation(operationOf(query, variables), limits);

describe('static cost analysis', () => {
  it('charges nothing for scalars and 1 for each object', () => {
    expect(analyse('{ product(sku: "x") { name category { name } } }').cost).toBe(2);
  });

  it('charges a connection its page size times what each item selects', () => {
    expect(analyse('{ products(first: 50) { totalCount nodes { name category { name } } } }').cost).toBe(2 + 50 * 1);
    expect(analyse('{ products(first: 10) { edges { cursor node { category { name } } } } }').cost).toBe(2 + 10 * 2);
  });

  it('multiplies nested connections', () => {
    expect(analyse('{ products(first: 10) { nodes { reviews(first: 5) { nodes { customer { id } } } } } }').cost).toBe(
      2 + 10 * (2 + 5 * 1),
    );
  });

  it('uses the default page size when none is given, and variables when they give it', () => {
    expect(analyse('{ products { nodes { category { id } } } }').cost).toBe(2 + 20);
    expect(analyse('query($n: Int) { products(first: $n) { nodes { category { id } } } }', { n: 3 }).cost).toBe(2 + 3);
  });

  it('charges nodes(ids:) per id', () => {
    expect(analyse('{ nodes(ids: ["a", "b", "c"]) { id ... on Product { category { id } } } }').cost).toBe(1 + 3 * 1);
  });

  it('adds 10 per mutation field', () => {
    expect(analyse('mutation { cancelOrder(input: { id: "x" }) { order { id } } }').cost).toBe(2 + 10);
  });

  it('reports page sizes over the maximum with where they are', () => {
    expect(analyse('{ products(first: 500) { totalCount } }').oversizedPages).toEqual([
      { path: 'products', argument: 'first', value: 500 },
    ]);
  });

  it('counts depth, aliases and directives, and follows fragments', () => {
    const shape = analyse(`
      query { a: product(sku: "x") { ...p } b: product(sku: "y") @include(if: true) { name } }
      fragment p on Product { category { parent { parent { name } } } }`);
    expect(shape).toMatchObject({ aliases: 2, directives: 1, depth: 5 });
  });

  it('charges a page inside an inline or a named fragment as a page, as written plainly', () => {
    const level = (inner: string) => `products(first: 100) { nodes { category { ${inner} } } }`;
    const plain = `{ ${level(level('products(first: 100) { nodes { id } }'))} }`;
    const wrapped = (inner: string) => `products(first: 100) { ... on ProductConnection { nodes { category { ${inner} } } } }`;
    const inline = `{ ${wrapped(wrapped('products(first: 100) { ... on ProductConnection { nodes { id } } }'))} }`;
    const named = `{ products(first: 100) { ...Page } }
      fragment Page on ProductConnection { nodes { category { products(first: 100) { ...Inner } } } }
      fragment Inner on ProductConnection { nodes { category { products(first: 100) { nodes { id } } } } }`;
    expect(analyse(plain).cost).toBe(2 + 100 * (1 + 2 + 100 * (1 + 2)));
    expect(analyse(inline).cost).toBe(analyse(plain).cost);
    expect(analyse(named).cost).toBe(analyse(plain).cost);
  });

  it('counts fields of fragments on an interface the type implements, and leaves out fragments on other types', () => {
    expect(
      analyse('{ product(sku: "x") { ... on Node { ... on Product { category { id } } } ... on Category { parent { id } } } }').cost,
    ).toBe(2);
    expect(analyse('{ product(sku: "x") { ...N } } fragment N on Node { ... on Product { category { id } } }').cost).toBe(2);
  });

  it('leaves out what @skip and @include leave out, by their variables', () => {
    const query =
      'query($on: Boolean!) { product(sku: "x") { category @include(if: $on) { id } reviews(first: 5) @skip(if: $on) { totalCount } } }';
    expect(analyse(query, { on: true }).cost).toBe(1 + 1);
    expect(analyse(query, { on: false }).cost).toBe(1 + 2);
  });

  it('charges a node for the type its id names', () => {
    const query = `query($id: ID!) { node(id: $id) { ... on Product { category { id } reviews(first: 10) { nodes { customer { id } } } } ... on Category { parent { id } } } }`;
    expect(analyse(query, { id: gid('Product', 1) }).cost).toBe(1 + 1 + 2 + 10);
    expect(analyse(query, { id: gid('Category', 1) }).cost).toBe(1 + 1);
    expect(analyse('{ nodes(ids: ["x"]) { id } }').cost).toBe(1);
  });

  it('collects a fragment spread many times once, so sixteen fragments that each spread the next twice are analysed at once', () => {
    const fragments = Array.from({ length: 15 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const query = `{ ...F0 }\n${fragments}\nfragment F15 on Query { __typename }`;
    const started = performance.now();
    expect(analyse(query)).toMatchObject({ cost: 0, depth: 0 });
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('refuses an operation whose fragments merge into more distinct selections than allowed, before walking them', () => {
    // Fragments F<level>_<bit> of a shift register: under `a` the merged fragments gain bit 0,
    // under `b` they shift by one, so every path below a category merges a different set.
    const bits = 12;
    const levels = 14;
    const fragment = (level: number, bit: number) =>
      level === levels
        ? `fragment F${level}_${bit} on Category { id }`
        : `fragment F${level}_${bit} on Category { a: parent { ...F${level + 1}_${bit} ...F${level + 1}_0 } b: parent { ...F${level + 1}_${Math.min(bit + 1, bits - 1)} } }`;
    const definitions = Array.from({ length: levels + 1 }, (_, level) => Array.from({ length: bits }, (_, bit) => fragment(level, bit)));
    const query = `{ category(id: "x") { ...F0_0 } }\n${definitions.flat().join('\n')}`;
    const started = performance.now();
    expect(() => analyse(query)).toThrow(
      expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', details: expect.objectContaining({ limit: 'selections' }) }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('leaves introspection out of depth and cost', () => {
    expect(analyse('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }')).toMatchObject({
      cost: 0,
      depth: 0,
    });
  });
});

describe('actual cost', () => {
  it('counts the items a page really had', () => {
    const operation = operationOf('{ products(first: 50) { totalCount nodes { name category { name } } } }');
    const data = {
      products: {
        totalCount: 2,
        nodes: [
          { name: 'a', category: { name: 'x' } },
          { name: 'b', category: { name: 'y' } },
        ],
      },
    };
    expect(actualCost(analyseOperation(operation, limits).plan, data)).toBe(2 + 2 * 1);
  });

  it('costs nothing for fields that came back null', () => {
    expect(actualCost(analyse('{ product(sku: "x") { category { name } } }').plan, { product: null })).toBe(0);
  });

  it('counts the items of nested lists one by one, and nothing for null items', () => {
    const query = `{ customer(id: "x") { orders(first: 20) { nodes { ...order } } } }
      fragment order on Order { total { amount } items { product { name } } }`;
    const data = {
      customer: {
        orders: {
          nodes: [{ total: { amount: '1' }, items: [{ product: { name: 'a' } }, { product: null }] }, null, { total: null, items: [] }],
        },
      },
    };
    expect(actualCost(analyse(query).plan, data)).toBe(1 + 2 + (1 + 1 + 1) + 1);
  });
});
