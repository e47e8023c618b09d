import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Covered queries run as one compiled SQL statement; they must answer exactly what the
 * resolvers answer. Each query here goes to both paths, on a cluster of its own (so no other
 * test changes the data between the two), and the responses are compared byte for byte.
 */
let cluster: PrivateCluster;
let compiledManager: ConnectionManager;
let compiled: TestServer;
let resolvers: TestServer;

beforeAll(async () => {
  cluster = await startPrivateCluster({ replicas: 0 });
  compiledManager = await ConnectionManager.start({ nodes: cluster.cluster.nodes, poolSize: 4 });
  compiled = await startTestServer(compiledManager, { compiledReads: true });
  resolvers = await startTestServer(cluster.manager, { compiledReads: false });
});
afterAll(async () => {
  await compiled?.stop();
  await resolvers?.stop();
  await compiledManager?.close();
  await cluster?.stop();
});

const PRODUCT = `id sku name description status createdAt updatedAt price { amount currency }
  category { id name slug parent { name } }
  inventory { totalAvailable totalOnHand byWarehouse { onHand reserved available updatedAt warehouse { id code name city countryCode } } }
  averageRating reviews(first: 4) { totalCount nodes { id rating body createdAt customer { id name email createdAt } product { sku } } }`;

/** A cursor of a sort order, as the API hands them out. */
const cursor = (order: string, key: [string, number]) => Buffer.from(JSON.stringify({ o: order, k: key })).toString('base64url');

const CASES: [string, string, Record<string, unknown>][] = [
  ['a product by id, every field', `query($id: ID!) { product(id: $id) { ${PRODUCT} } }`, { id: gid('Product', 17) }],
  ['a product by sku', `{ product(sku: "SKU-000003") { __typename sku name } }`, {}],
  ['a product that does not exist', `query($id: ID!) { product(id: $id) { sku } }`, { id: gid('Product', 999_999) }],
  ['products by name', `{ products(first: 30) { totalCount nodes { sku name } } }`, {}],
  [
    'products by price, descending',
    `{ products(first: 25, orderBy: { field: PRICE, direction: DESC }) { nodes { sku price { amount } } } }`,
    {},
  ],
  ['products by creation time', `{ products(first: 25, orderBy: { field: CREATED_AT }) { nodes { sku createdAt } } }`, {}],
  [
    'products through every filter',
    `query($min: String, $max: String) { products(first: 50, filter: { search: "oak", inStock: true, minPrice: $min, maxPrice: $max, status: ACTIVE }) { totalCount nodes { sku } } }`,
    { min: '5.00', max: '700' },
  ],
  [
    'products out of stock',
    `{ products(first: 50, filter: { inStock: false }) { totalCount nodes { sku inventory { totalAvailable } } } }`,
    {},
  ],
  [
    'products of a category',
    `query($c: ID!) { products(first: 40, filter: { categoryId: $c }) { totalCount nodes { sku category { id } } } }`,
    { c: gid('Category', 9) },
  ],
  ['a search that matches nothing, with % in it', `{ products(first: 5, filter: { search: "100%_x" }) { totalCount nodes { sku } } }`, {}],
  [
    'a category with its tree and products',
    `query($id: ID!) { category(id: $id) { id name slug parent { id name parent { name } } children { name } products(first: 12, orderBy: { field: PRICE }, filter: { inStock: true }) { totalCount nodes { name price { amount currency } averageRating } } } }`,
    { id: gid('Category', 10) },
  ],
  [
    'a root category with its children',
    `query($id: ID!) { category(id: $id) { name parent { name } children { name children { name } } } }`,
    { id: gid('Category', 1) },
  ],
  [
    "a customer's order history",
    `query($id: ID!) { customer(id: $id) { id name email createdAt orders(first: 20) { totalCount nodes { id status createdAt updatedAt total { amount currency } customer { id } items { quantity unitPrice { amount currency } lineTotal { amount currency } product { sku } warehouse { code } } } } } }`,
    { id: gid('Customer', 3) },
  ],
  [
    'an order',
    `query($id: ID!) { order(id: $id) { id status total { amount } items { quantity product { name } } customer { name } } }`,
    { id: gid('Order', 5) },
  ],
  ['orders in a status', `{ orders(first: 15, filter: { status: DELIVERED }) { totalCount nodes { id status } } }`, {}],
  [
    'orders of a customer in a time window',
    `query($c: ID!, $after: DateTime) { orders(first: 10, filter: { customerId: $c, createdAfter: $after }) { totalCount nodes { id createdAt } } }`,
    { c: gid('Customer', 2), after: '2025-01-01T00:00:00Z' },
  ],
  ['warehouses', `{ warehouses { id code name city countryCode __typename } }`, {}],
  [
    'a Relay page of products: edges with cursors, pageInfo and totalCount',
    `{ products(first: 5, orderBy: { field: PRICE, direction: DESC }) { totalCount edges { cursor node { sku price { amount } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    {},
  ],
  [
    'the page after a cursor, and the page before it, by name',
    `query($after: String, $before: String) {
      next: products(first: 4, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
      previous: products(last: 4, before: $before) { nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    { after: cursor('NAME_ASC', ['M', 1]), before: cursor('NAME_ASC', ['M', 1]) },
  ],
  [
    'the last page of a filtered search, by creation time',
    `{ products(last: 3, filter: { search: "a", inStock: true }, orderBy: { field: CREATED_AT }) { pageInfo { hasPreviousPage hasNextPage } edges { cursor node { sku createdAt } } } }`,
    {},
  ],
  [
    'a category page that asks for pageInfo',
    `query($id: ID!) { category(id: $id) { name products(first: 10) { pageInfo { hasNextPage endCursor } nodes { id name price { amount currency } inventory { totalAvailable } averageRating } } } }`,
    { id: gid('Category', 10) },
  ],
  [
    'an empty page, and a page of size 0',
    `{ none: products(first: 3, filter: { search: "zz-no-such-product" }) { pageInfo { hasNextPage startCursor endCursor } edges { cursor } } zero: products(first: 0) { pageInfo { hasNextPage hasPreviousPage } nodes { sku } } }`,
    {},
  ],
  [
    'nested connections with their own pages',
    `query($id: ID!, $before: String) { customer(id: $id) { orders(last: 2, before: $before) { totalCount pageInfo { hasPreviousPage hasNextPage startCursor } edges { cursor node { id items { product { sku reviews(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { rating } } } } } } } } } }`,
    { id: gid('Customer', 3), before: cursor('CREATED_AT_DESC', ['2024-01-01T00:00:00.000Z', 1]) },
  ],
  [
    'root categories and a page of customers found by name',
    `{ categories(first: 3) { totalCount edges { cursor node { name children { name } } } pageInfo { hasNextPage endCursor } } customers(first: 2, search: "a") { totalCount nodes { name email } pageInfo { hasNextPage } } }`,
    {},
  ],
  [
    'orders in a time window, from a cursor',
    `query($from: DateTime, $to: DateTime) { orders(first: 3, after: "${cursor('CREATED_AT_DESC', ['2026-06-01T00:00:00.000Z', 1])}", filter: { createdAfter: $from, createdBefore: $to }) { totalCount edges { cursor node { id createdAt } } pageInfo { hasNextPage hasPreviousPage } } }`,
    { from: '2025-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' },
  ],
  [
    'a product page by slug: images, histogram, review count, version and public authors',
    `query($slug: String!) { productBySlug(slug: $slug) { sku slug version reviewCount averageRating ratingHistogram { rating count __typename } images { url altText width height } featuredImage { url } reviews(first: 5) { nodes { rating author { displayName } } } } }`,
    { slug: 'vintage-oak-knife-118' },
  ],
  [
    'a product by sku with its own field',
    `{ productBySku(sku: "SKU-000007") { sku slug featuredImage { altText width height } ratingHistogram { count } } }`,
    {},
  ],
  [
    'a category by slug with the products of its whole subtree, best sellers first',
    `query($slug: String!) { categoryBySlug(slug: $slug) { name all: products(first: 4, includeSubcategories: true, orderBy: { field: BEST_SELLING }) { totalCount nodes { sku slug } } own: products(first: 4, includeSubcategories: false) { totalCount } } }`,
    { slug: 'outdoor' },
  ],
  [
    'a home page: root categories with four top-rated products of their subtrees each',
    `{ categories(first: 8) { nodes { slug products(first: 4, includeSubcategories: true, filterBy: { inStock: true }, orderBy: { field: TOP_RATED }) { totalCount pageInfo { hasNextPage endCursor } nodes { sku name featuredImage { url altText } reviewCount } } } } }`,
    {},
  ],
  [
    'a full-text search by relevance, forward and backward from a cursor',
    `query($after: String) { best: products(first: 6, filter: { text: "kettle OR knife" }, orderBy: { field: RELEVANCE }) { totalCount edges { cursor node { sku } } } next: products(first: 6, after: $after, filter: { text: "kettle OR knife" }, orderBy: { field: RELEVANCE }) { nodes { sku } pageInfo { hasPreviousPage endCursor } } worst: products(last: 3, filter: { text: "oak" }, orderBy: { field: RELEVANCE, direction: DESC }) { nodes { name } } }`,
    { after: cursor('RELEVANCE_ASC', ['0.06', 40]) },
  ],
  [
    'the worst sellers last, backward',
    `{ products(last: 5, orderBy: { field: BEST_SELLING, direction: DESC }) { edges { cursor node { sku } } } }`,
    {},
  ],
  [
    "a warehouse's stock, a page at a time, with products",
    `{ warehouses { code stock(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { onHand reserved available product { sku } warehouse { code } } } } } }`,
    {},
  ],
  ['orders with their numbers and whether they can be cancelled', `{ orders(first: 10) { nodes { id number status cancellable } } }`, {}],
  ['an order by its number', `{ orderByNumber(number: "SG-000005") { id number total { amount } } }`, {}],
  ['a fragment on the Node interface', `{ product(sku: "SKU-000001") { sku ... on Node { id } } }`, {}],
  ['a named fragment on the Node interface', `{ product(sku: "SKU-000001") { sku ...N } } fragment N on Node { id __typename }`, {}],
  [
    'one field selected twice, its selections merged',
    `{ product(sku: "SKU-000002") { category { name } ... on Product { category { id parent { name } } } } }`,
    {},
  ],
  [
    'aliases, fragments, @include and @skip',
    `query($yes: Boolean!) { a: product(sku: "SKU-000001") { ...P n: name } b: product(sku: "SKU-000002") { sku @include(if: $yes) name @skip(if: $yes) } w: warehouses { code } }
     fragment P on Product { sku price { amount } ... on Product { category { name } } }`,
    { yes: true },
  ],
];

describe('compiled reads', () => {
  it.each(CASES)('answer %s exactly as the resolvers do, in one statement', async (_, query, variables) => {
    await compiled.request(query, variables);
    const before = compiledManager.nodes.reduce((sum, node) => sum + node.statements, 0);
    const fast = await compiled.request(query, variables);
    const statements = compiledManager.nodes.reduce((sum, node) => sum + node.statements, 0) - before;
    const slow = await resolvers.request(query, variables);
    expect(slow.errors).toBeUndefined();
    expect(fast.errors).toBeUndefined();
    expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
    expect(statements).toBe(1);
  });

  it('leave what they do not cover to the resolvers, with the same answer', async () => {
    const query = `{ node(id: "${gid('Product', 3)}") { id ... on Product { sku } } products(first: 3) { pageInfo { hasNextPage endCursor } } }`;
    const fast = await compiled.request(query);
    const slow = await resolvers.request(query);
    expect(fast.data).toEqual(slow.data);
  });

  it('leave fields the caller may not see to the resolvers, which refuse them one by one', async () => {
    const key = await compiled.createKey(['catalog:read']);
    const response = await compiled.request(
      '{ warehouses { code } customers(first: 1) { totalCount } }',
      {},
      { authorization: `Bearer ${key}` },
    );
    expect(response.data).toEqual({ warehouses: expect.any(Array), customers: null });
    expect(response.errors![0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('serve later requests of an operation with other ids and page sizes, each answered as the resolvers do', async () => {
    const query = `query($id: ID!, $n: Int) { product(id: $id) { sku name reviews(first: $n) { nodes { rating customer { name } } } } }`;
    for (const [id, n] of [
      [11, 3],
      [12, 1],
      [13, 7],
      [999_999, 2],
    ] as const) {
      const variables = { id: gid('Product', id), n };
      const fast = await compiled.request(query, variables);
      const slow = await resolvers.request(query, variables);
      expect(fast.errors).toBeUndefined();
      expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
    }
  });

  it.each([
    [
      'a search',
      'query S($s: String) { products(first: 3, filter: { search: $s }) { totalCount nodes { sku } } }',
      [{}, { s: 'zz-no-such-product' }, { s: null }, { s: 'oak' }],
    ],
    [
      "a customer's orders",
      'query O($c: ID) { orders(first: 5, filter: { customerId: $c }) { totalCount nodes { id } } }',
      [{}, { c: gid('Customer', 3) }, { c: null }],
    ],
    [
      'a product by sku or by id',
      'query P($id: ID, $sku: String) { product(id: $id, sku: $sku) { sku } }',
      [{ sku: 'SKU-000004' }, { id: gid('Product', 5) }, { sku: 'SKU-000006' }],
    ],
  ])("answer %s with each caller's own variables, absent, null or given, as the resolvers do", async (_, query, requests) => {
    for (const variables of requests as Record<string, unknown>[]) {
      for (const lane of ['full', 'fast']) {
        const answer = await compiled.request(query, variables);
        const reference = await resolvers.request(query, variables);
        expect({ lane, variables, answer: JSON.stringify(answer.data) }).toEqual({
          lane,
          variables,
          answer: JSON.stringify(reference.data),
        });
      }
    }
  });

  it('still refuse an invalid id or page size in an operation they answered before, naming the field', async () => {
    const query = `query($id: ID!, $n: Int) { product(id: $id) { reviews(first: $n) { totalCount } } }`;
    expect((await compiled.request(query, { id: gid('Product', 1), n: 2 })).errors).toBeUndefined();
    const wrongType = await compiled.request(query, { id: gid('Customer', 1), n: 2 });
    expect(wrongType.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    const negative = await compiled.request(query, { id: gid('Product', 1), n: -1 });
    expect(negative.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('serve later searches of an operation with other text, prices and category, each answered as the resolvers do', async () => {
    const query = `query($text: String, $min: String, $max: String, $c: ID) {
      products(first: 10, filter: { search: $text, minPrice: $min, maxPrice: $max, categoryId: $c }, orderBy: { field: PRICE }) {
        totalCount nodes { sku price { amount } } } }`;
    for (const variables of [
      { text: 'oak', min: '1.00', max: '900', c: null },
      { text: 'steel', min: '20', max: '300.5', c: null },
      { text: '100%_x', min: '0', max: '10', c: null },
      { text: 'a', min: null, max: '50', c: gid('Category', 9) },
      { text: null, min: '5', max: null, c: gid('Category', 10) },
    ]) {
      const fast = await compiled.request(query, variables);
      const slow = await resolvers.request(query, variables);
      expect(fast.errors).toBeUndefined();
      expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
    }
  });

  it('still refuse an invalid price or category in a search they answered before, naming the field', async () => {
    const query = `query($min: String, $c: ID) { products(first: 3, filter: { minPrice: $min, categoryId: $c }) { totalCount } }`;
    expect((await compiled.request(query, { min: '1.00', c: gid('Category', 9) })).errors).toBeUndefined();
    const price = await compiled.request(query, { min: 'cheap', c: gid('Category', 9) });
    expect(price.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.minPrice' });
    const category = await compiled.request(query, { min: '1.00', c: gid('Product', 9) });
    expect(category.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.categoryId' });
  });

  it('never hand one caller a statement planned for a caller with more scopes', async () => {
    const query = 'query($n: Int) { warehouses { code } customers(first: $n) { totalCount } }';
    expect((await compiled.request(query, { n: 1 })).data!.customers).toEqual({ totalCount: expect.any(Number) });
    const key = await compiled.createKey(['catalog:read']);
    const response = await compiled.request(query, { n: 1 }, { authorization: `Bearer ${key}` });
    expect(response.data).toEqual({ warehouses: expect.any(Array), customers: null });
    expect(response.errors![0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('leave invalid arguments to the resolvers, which name them', async () => {
    const response = await compiled.request('{ product(id: "nope") { sku } }');
    expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});
