import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  manager = await connectShared();
  // The resolvers' path, where DataLoaders do the batching (compiled reads are one statement).
  server = await startTestServer(manager, { compiledReads: false });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

/**
 * SQL statements the server sent, over all nodes, while answering one request. The request
 * is sent once before, so the API key lookup (cached) is not counted.
 */
async function statementsFor(query: string, variables: Record<string, unknown> = {}): Promise<number> {
  await server.request(query, variables);
  const before = manager.nodes.reduce((sum, node) => sum + node.statements, 0);
  const response = await server.request(query, variables);
  expect(response.errors).toBeUndefined();
  return manager.nodes.reduce((sum, node) => sum + node.statements, 0) - before;
}

const CATALOG_PAGE = `query($first: Int!) {
  products(first: $first) {
    nodes {
      name
      category { name parent { name } }
      inventory { totalAvailable byWarehouse { warehouse { code } available } }
      averageRating
      reviews(first: 5) { totalCount nodes { rating customer { name } } }
    }
  }
}`;

describe('batched loading through the resolvers', () => {
  it('runs the same number of statements for 5 products as for 50', async () => {
    const five = await statementsFor(CATALOG_PAGE, { first: 5 });
    const fifty = await statementsFor(CATALOG_PAGE, { first: 50 });
    expect(fifty).toBe(five);
    // products, categories, parent categories, stock, warehouses, ratings, review pages, customers
    expect(fifty).toBe(8);
  });

  it("loads a page of customers' orders with their items and products in a fixed number of statements", async () => {
    const query = `query($first: Int!) {
      customers(first: $first) { nodes { orders(first: 3) { totalCount nodes { items { product { name } warehouse { code } } } } } }
    }`;
    expect(await statementsFor(query, { first: 40 })).toBe(await statementsFor(query, { first: 4 }));
  });

  it('loads products of many categories with one statement for all their pages', async () => {
    const query = `query($first: Int!) { categories(first: $first) { nodes { children { products(first: 3, orderBy: { field: PRICE }) { totalCount nodes { name } } } } } }`;
    expect(await statementsFor(query, { first: 8 })).toBe(await statementsFor(query, { first: 1 }));
  });
});
