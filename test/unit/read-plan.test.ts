import { makeExecutableSchema } from '@graphql-tools/schema';
import { getNamedType, isObjectType, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileRead } from '../../src/db/index.js';
import type { Caller } from '../../src/graphql/auth/index.js';
import { globalIdSql } from '../../src/graphql/ids.js';
import { fragmentsOf } from '../../src/graphql/limits/cost.js';
import { planRead, PLANNED_FIELDS } from '../../src/graphql/read-plan.js';
import { DateTime } from '../../src/graphql/scalars.js';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { gid } from '../support/ids.js';

// With the DateTime scalar, which turns times into Dates as the server's schema does.
const schema = makeExecutableSchema({ typeDefs: loadSchemaSource(), resolvers: { DateTime } });
const admin: Caller = { kind: 'api-key', id: 'key:test', label: 'test', scopes: new Set(['admin']), ratePerSecond: 100 };

function compiled(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const plan = planRead(schema, operation, fragmentsOf(document), {}, admin);
  return plan && compileRead(plan, { globalId: globalIdSql });
}

/** A query selecting each planned field, with every argument it plans. */
const QUERIES: Record<string, string> = {
  'Query.product': `{ product(sku: "SKU-000001") { name } }`,
  'Query.productBySku': `{ productBySku(sku: "SKU-000001") { name } }`,
  'Query.productBySlug': `{ productBySlug(slug: "oak-kettle") { name images { url } featuredImage { altText } ratingHistogram { rating count } } }`,
  'Query.categoryBySlug': `{ categoryBySlug(slug: "kitchen") { name } }`,
  'Query.category': `{ category(id: "${gid('Category', 1)}") { name } }`,
  'Query.customer': `{ customer(id: "${gid('Customer', 1)}") { name } }`,
  'Query.order': `{ order(id: "${gid('Order', 1)}") { status } }`,
  'Query.orderByNumber': `{ orderByNumber(number: "SG-000001") { number status } }`,
  'Query.products': `{ products(last: 3, filter: { search: "oak", text: "oak", minPrice: "1", maxPrice: "9", price: { currency: "USD" }, inStock: true, status: ACTIVE }, orderBy: { field: RELEVANCE }) { totalCount } }`,
  'Category.products': `{ category(id: "${gid('Category', 1)}") { products(first: 2, filterBy: { search: "oak", price: { currency: "USD", min: "1", below: "9" } }, includeSubcategories: true, orderBy: { field: BEST_SELLING }) { nodes { name } } } }`,
  'Query.categories': `{ categories(first: 2, parentId: "${gid('Category', 1)}") { edges { cursor } } }`,
  'Query.customers': `{ customers(first: 2, search: "a") { pageInfo { endCursor } } }`,
  'Query.orders': `{ orders(first: 2, filter: { customerId: "${gid('Customer', 1)}", status: PAID, createdAfter: "2026-01-01T00:00:00Z" }) { totalCount } }`,
  'Product.reviews': `{ product(sku: "x") { reviews(last: 2) { nodes { rating } } } }`,
  'Customer.orders': `{ customer(id: "${gid('Customer', 1)}") { orders(first: 2) { nodes { id number cancellable } } } }`,
  'Warehouse.stock': `{ warehouses { stock(last: 2) { nodes { onHand product { sku } } } } }`,
};

describe('the planning table', () => {
  it('has a query for each field it lists, here', () => {
    expect(Object.keys(QUERIES).sort()).toEqual(Object.keys(PLANNED_FIELDS).sort());
  });

  it.each(Object.entries(QUERIES))('lists %s, which the compiler compiles with its arguments', (_, query) => {
    expect(compiled(query)).toMatchObject({ text: expect.stringContaining('select') });
  });

  it('leaves every other field with arguments to the resolvers', () => {
    const others = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .filter((type) => !type.name.startsWith('__'))
      .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type, field })))
      .filter(
        ({ type, field }) => field.args.length > 0 && !(`${type.name}.${field.name}` in PLANNED_FIELDS) && type === schema.getQueryType(),
      );
    expect(others.map(({ field }) => field.name).sort()).toEqual(['node', 'nodes']);
    for (const { field } of others) {
      const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '{ id }';
      const args = field.name === 'nodes' ? '(ids: ["x"])' : '(id: "x")';
      expect(compiled(`{ ${field.name}${args} ${selection} }`)).toBeUndefined();
    }
  });

  it('leaves the viewer to the resolvers, whose answer depends on the caller', () => {
    expect(compiled(`{ viewer { kind } }`)).toBeUndefined();
  });

  it('leaves to the resolvers an operation whose shared fragments unroll into more fields than one statement selects', () => {
    const chain = (length: number) => {
      const levels = Array.from(
        { length },
        (_, i) => `fragment C${i} on Category { a: parent { ...C${i + 1} } b: parent { ...C${i + 1} } }`,
      );
      return `{ category(id: "${gid('Category', 1)}") { ...C0 } }\n${levels.join('\n')}\nfragment C${length} on Category { id }`;
    };
    // 2^6 fields in the statement; 2^12 are more than it takes.
    expect(compiled(chain(5))).toMatchObject({ text: expect.stringContaining('select') });
    expect(compiled(chain(11))).toBeUndefined();
  });
});
