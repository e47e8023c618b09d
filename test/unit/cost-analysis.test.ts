import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { actualCost, analyseOperation } from '../../src/graphql/limits/cost.js';

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
