import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: TestServer;
let primary: postgres.Sql;

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager);
  primary = postgres(sharedNodes()[0]!.url, { max: 1 });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await primary?.end();
});

describe('reading the catalogue', () => {
  it('finds a seeded product by sku, with its price, category and stock, read on a replica', async () => {
    const [expected] = await primary`
      select p.id, p.name, p.price_amount::text as price, c.name as category,
        (select sum(on_hand - reserved)::int from inventory_levels where product_id = p.id) as available
      from products p join categories c on c.id = p.category_id where p.sku = 'SKU-000001'`;
    const response = await server.request(`{
      product(sku: "SKU-000001") { id name price { amount currency } category { name } inventory { totalAvailable } }
    }`);
    expect(response.errors).toBeUndefined();
    expect(response.data!.product).toEqual({
      id: gid('Product', expected!.id),
      name: expected!.name,
      price: { amount: expected!.price, currency: 'USD' },
      category: { name: expected!.category },
      inventory: { totalAvailable: expected!.available ?? 0 },
    });
    expect(response.extensions!.routing!.role).toBe('replica');
  });

  it('finds the same product by global id, and null for an id that matches nothing', async () => {
    const response = await server.request(`query($a: ID!, $b: ID!) { a: product(id: $a) { sku } b: product(id: $b) { sku } }`, {
      a: gid('Product', 1),
      b: gid('Product', 999_999),
    });
    expect(response.data).toEqual({ a: { sku: 'SKU-000001' }, b: null });
  });

  it('lists only the products that match every filter', async () => {
    const response = await server.request(`{
      products(first: 100, filter: { search: "oak", minPrice: "10.00", maxPrice: "500.00", inStock: true }) {
        totalCount nodes { name price { amount } inventory { totalAvailable } }
      }
    }`);
    const { totalCount, nodes } = response.data!.products;
    const [expected] = await primary`
      select count(*)::int as total from products p
      where p.name ilike '%oak%' and p.price_amount between 10 and 500
        and exists (select 1 from inventory_levels i where i.product_id = p.id and i.on_hand > i.reserved)`;
    expect(totalCount).toBe(expected!.total);
    expect(nodes.length).toBe(Math.min(100, expected!.total));
    for (const node of nodes) {
      expect(node.name.toLowerCase()).toContain('oak');
      expect(Number(node.price.amount)).toBeGreaterThanOrEqual(10);
      expect(Number(node.price.amount)).toBeLessThanOrEqual(500);
      expect(node.inventory.totalAvailable).toBeGreaterThan(0);
    }
  });

  it('pages forward through a sorted list without gaps or repeats', async () => {
    const query = `query($after: String) {
      products(first: 7, after: $after, orderBy: { field: PRICE, direction: DESC }, filter: { search: "steel" }) {
        totalCount pageInfo { hasNextPage endCursor } nodes { sku price { amount } }
      }
    }`;
    const seen: { sku: string; price: { amount: string } }[] = [];
    let after: string | null = null;
    let totalCount = 0;
    for (let page = 0; page < 50; page++) {
      const response: GraphQLResponse = await server.request(query, { after });
      const products = response.data!.products as {
        totalCount: number;
        nodes: typeof seen;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      totalCount = products.totalCount;
      seen.push(...products.nodes);
      if (!products.pageInfo.hasNextPage) break;
      after = products.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(totalCount);
    expect(new Set(seen.map((p) => p.sku)).size).toBe(totalCount);
    const prices = seen.map((p) => Number(p.price.amount));
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
  });

  it('pages backward from a cursor to the items before it', async () => {
    const all = await server.request(`{ products(first: 10) { edges { cursor node { sku } } } }`);
    const edges = all.data!.products.edges;
    const response = await server.request(
      `query($before: String) { products(last: 3, before: $before) { pageInfo { hasPreviousPage hasNextPage } nodes { sku } } }`,
      {
        before: edges[6].cursor,
      },
    );
    expect(response.data!.products.nodes.map((n: { sku: string }) => n.sku)).toEqual(
      edges.slice(3, 6).map((e: { node: { sku: string } }) => e.node.sku),
    );
    expect(response.data!.products.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: true });
  });

  it('walks the category tree both ways', async () => {
    const response = await server.request(
      `{ categories(first: 100) { totalCount nodes { name parent { name } children { name parent { name } } } } }`,
    );
    const roots = response.data!.categories.nodes;
    expect(response.data!.categories.totalCount).toBe(8);
    for (const root of roots) {
      expect(root.parent).toBeNull();
      expect(root.children.length).toBe(6);
      for (const child of root.children) expect(child.parent.name).toBe(root.name);
    }
  });
});

describe('reading customers and orders', () => {
  it("shows a customer's orders newest first, each total the sum of its lines", async () => {
    const [busiest] = await primary`select customer_id as id from orders group by 1 order by count(*) desc, 1 limit 1`;
    const response = await server.request(
      `query($id: ID!) { customer(id: $id) { name orders(first: 5) { totalCount nodes { createdAt total { amount } items { quantity unitPrice { amount } lineTotal { amount } product { sku } } } } } }`,
      { id: gid('Customer', busiest!.id) },
    );
    const orders = response.data!.customer.orders;
    const [count] = await primary`select count(*)::int as n from orders where customer_id = ${busiest!.id}`;
    expect(orders.totalCount).toBe(count!.n);
    const times = orders.nodes.map((o: { createdAt: string }) => o.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    for (const order of orders.nodes) {
      const cents = order.items.reduce(
        (sum: number, item: { lineTotal: { amount: string } }) => sum + Math.round(Number(item.lineTotal.amount) * 100),
        0,
      );
      expect(Math.round(Number(order.total.amount) * 100)).toBe(cents);
    }
  });

  it('resolves any object by its global id through node and nodes', async () => {
    const response = await server.request(
      `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Product { sku } ... on Customer { email } ... on Warehouse { code } } }`,
      { ids: [gid('Product', 2), gid('Customer', 3), gid('Warehouse', 1), gid('Order', 999_999)] },
    );
    expect(response.data!.nodes).toEqual([
      { __typename: 'Product', id: gid('Product', 2), sku: 'SKU-000002' },
      { __typename: 'Customer', id: gid('Customer', 3), email: expect.stringMatching(/@example\.com$/) },
      { __typename: 'Warehouse', id: gid('Warehouse', 1), code: 'AMS' },
      null,
    ]);
  });
});

describe('bad read requests', () => {
  it('refuse a malformed id with BAD_USER_INPUT naming the argument', async () => {
    const response = await server.request(`{ node(id: "not-an-id") { id } }`);
    expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'id' }, path: ['node'] })]);
  });

  it('refuse a page size over the maximum before running, naming the limit and the figure', async () => {
    const response = await server.request(`{ products(first: 1000) { totalCount } }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'pageSize', actual: 1000, maximum: 100 });
    expect(response.errors![0]!.message).toBe(
      'first on products asks for a page of: 1000, over the limit of 100. Ask for less (smaller pages, fewer nested lists) or split the request.',
    );
  });

  it('refuse an unknown field with 400 before touching the database', async () => {
    const response = await server.request(`{ products { nodes { secretCost } } }`);
    expect(response.status).toBe(400);
    expect(response.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.extensions?.routing).toBeUndefined();
  });

  it('answer malformed JSON with 400 and a readable error, and keep serving', async () => {
    const broken = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ warehouses',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
    });
    const next = await server.request(`{ warehouses { code } }`);
    expect(next.data!.warehouses).toHaveLength(4);
  });
});
