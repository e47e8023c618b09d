import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { schemaForToolsFile } from '../../src/graphql/schema-source.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server.js';

/**
 * The operations a new storefront and a partner app write (test/fixtures/storefront), run as
 * they would run them: anonymous for the shop's pages, a customer's token for checkout and
 * order history, an API key for the stocktake. Each validates against the schema file for
 * tools, answers without an error and fits its caller's bucket.
 */
const JWT_SECRET = 'storefront-test-secret-0123456789abcdef';
const ISSUER = 'https://id.shop.example';
const ANONYMOUS_RATE = 50;
const documents = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'storefront');
const operation = (name: string) => fs.readFileSync(path.join(documents, `${name}.graphql`), 'utf8');

let manager: ConnectionManager;
let server: TestServer;
let primary: postgres.Sql;
let customer: { rowId: number; id: string; token: string };
let partnerKey: string;

const anonymous = { authorization: '' };
const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager, {
    auth: {
      anonymousScopes: ['catalog:read'],
      anonymousRatePerSecond: ANONYMOUS_RATE,
      jwt: { secret: JWT_SECRET, issuer: ISSUER, ratePerSecond: 100 },
    },
  });
  primary = postgres(sharedNodes()[0]!.url, { max: 2 });
  const [row] =
    await primary`insert into customers (email, name) values (${`anna-${randomUUID()}@example.com`}, ${'Anna  Kowalska'}) returning id`;
  const id = gid('Customer', row!.id as number);
  const token = await new SignJWT({ sub: id, scope: 'catalog:read orders:read orders:write customers:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));
  customer = { rowId: row!.id as number, id, token };
  partnerKey = await server.createKey(['catalog:read', 'catalog:write', 'inventory:write']);
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await primary?.end();
});

/** A product of this file's own, ACTIVE, with `stock` units in warehouse 1. */
async function newProduct(stock: number, name = 'Storefront Kettle'): Promise<{ id: string; rowId: number; slug: string }> {
  const created = await server.request(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id slug } userErrors { code message } } }`,
    { input: { sku: `SF-${randomUUID()}`, name, price: { amount: '20.00', currency: 'USD' }, categoryId: gid('Category', 2) } },
  );
  expect(created.data!.createProduct.userErrors).toEqual([]);
  const product = created.data!.createProduct.product as { id: string; slug: string };
  if (stock > 0) {
    const adjusted = await server.request(`mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { replayed } }`, {
      input: { productId: product.id, warehouseId: gid('Warehouse', 1), delta: stock },
    });
    expect(adjusted.errors).toBeUndefined();
  }
  const [row] = await primary`select id from products where slug = ${product.slug}`;
  return { ...product, rowId: row!.id as number };
}

function costOf(response: GraphQLResponse): number {
  return (response.extensions!.cost as { requestedQueryCost: number }).requestedQueryCost;
}

describe('the storefront and partner operations', () => {
  it('each validate against the schema file for tools', () => {
    const schema = buildSchema(fs.readFileSync(schemaForToolsFile, 'utf8'));
    const names = fs.readdirSync(documents).filter((file) => file.endsWith('.graphql'));
    expect(names.length).toBe(8);
    for (const name of names) expect(validate(schema, parse(fs.readFileSync(path.join(documents, name), 'utf8'))), name).toEqual([]);
  });

  it('load an anonymous home page of 8 categories with 4 products each, within the anonymous bucket', async () => {
    const response = await server.request(operation('HomePage'), {}, anonymous);
    expect(response.errors).toBeUndefined();
    expect(costOf(response)).toBeLessThanOrEqual(20 * ANONYMOUS_RATE);
    const categories = response.data!.categories.nodes as { products: { nodes: { featuredImage: { url: string } }[] } }[];
    expect(categories.length).toBeGreaterThan(0);
    for (const category of categories) expect(category.products.nodes).toHaveLength(4);
    expect(categories[0]!.products.nodes[0]!.featuredImage.url).toMatch(/^https:\/\//);
  });

  it('load an anonymous product page with its reviews and their public authors, without an error', async () => {
    const reviewed = await server.request(
      `{ products(first: 1, filter: { status: ACTIVE }, orderBy: { field: TOP_RATED }) { nodes { slug reviewCount } } }`,
      {},
      anonymous,
    );
    const { slug, reviewCount } = reviewed.data!.products.nodes[0] as { slug: string; reviewCount: number };
    expect(reviewCount).toBeGreaterThan(0);
    const response = await server.request(operation('ProductPage'), { slug }, anonymous);
    expect(response.errors).toBeUndefined();
    expect(costOf(response)).toBeLessThanOrEqual(20 * ANONYMOUS_RATE);
    const product = response.data!.productBySlug;
    expect(product.reviews.totalCount).toBe(reviewCount);
    expect(product.ratingHistogram.map((bar: { rating: number }) => bar.rating)).toEqual([5, 4, 3, 2, 1]);
    expect(product.ratingHistogram.reduce((sum: number, bar: { count: number }) => sum + bar.count, 0)).toBe(reviewCount);
    for (const edge of product.reviews.edges) expect(edge.node.author).toEqual({ displayName: expect.stringMatching(/^\S+( \S\.)?$/) });
  });

  it('load an anonymous category page of a whole subtree, narrowed and sorted, within the anonymous bucket', async () => {
    const variables = {
      slug: 'kitchen',
      inStock: true,
      price: { currency: 'USD', min: '5.00' },
      order: { field: 'PRICE', direction: 'DESC' },
    };
    const response = await server.request(operation('CategoryPage'), variables, anonymous);
    expect(response.errors).toBeUndefined();
    expect(costOf(response)).toBeLessThanOrEqual(20 * ANONYMOUS_RATE);
    const category = response.data!.categoryBySlug;
    expect(category.children.length).toBeGreaterThan(0);
    const prices = category.products.edges.map((edge: { node: { price: { amount: string } } }) => Number(edge.node.price.amount));
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(category.products.totalCount).toBeGreaterThan(category.products.edges.length);
    const { facets } = category.products;
    expect(facets.outOfStock).toBe(0);
    expect(facets.inStock).toBe(category.products.totalCount);
    const sum = (counts: { count: number }[]) => counts.reduce((total, entry) => total + entry.count, 0);
    expect(sum(facets.categories)).toBe(category.products.totalCount);
    expect(sum(facets.priceBands)).toBe(category.products.totalCount);
    for (const band of facets.priceBands) expect(band.count).toBeGreaterThan(0);
  });

  it('narrow a category page to a price band of its facets, and count exactly the products the band counted', async () => {
    const page = await server.request(operation('CategoryPage'), { slug: 'outdoor' }, anonymous);
    const band = page.data!.categoryBySlug.products.facets.priceBands[1] as { min: string; below: string; count: number };
    const narrowed = await server.request(
      operation('CategoryPage'),
      { slug: 'outdoor', price: { currency: 'USD', min: band.min, below: band.below } },
      anonymous,
    );
    expect(narrowed.data!.categoryBySlug.products.totalCount).toBe(band.count);
    expect(narrowed.data!.categoryBySlug.products.facets.priceBands).toEqual([band]);
  });

  it('search anonymously by words in any form, the products with the word in their name first', async () => {
    const response = await server.request(operation('Search'), { text: 'kettles' }, anonymous);
    expect(response.errors).toBeUndefined();
    expect(costOf(response)).toBeLessThanOrEqual(20 * ANONYMOUS_RATE);
    const names = response.data!.products.nodes.map((product: { name: string }) => product.name.toLowerCase());
    expect(names.length).toBeGreaterThan(0);
    expect(names[0]).toContain('kettle');
    const after = await server.request(
      operation('Search'),
      { text: 'kettles', after: response.data!.products.pageInfo.endCursor },
      anonymous,
    );
    expect(after.errors).toBeUndefined();
    expect(after.data!.products.totalCount).toBe(response.data!.products.totalCount);
  });

  it('refuse a RELEVANCE order without a search text, naming the field', async () => {
    const response = await server.request(`{ products(first: 3, orderBy: { field: RELEVANCE }) { nodes { sku } } }`, {}, anonymous);
    expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'orderBy.field' });
  });

  it('check out a product that runs out of stock, told from typed data which product and how many are left', async () => {
    const product = await newProduct(2);
    const input = { customerId: customer.id, items: [{ productId: product.id, quantity: 3 }], idempotencyKey: randomUUID() };
    const response = await server.request(operation('Checkout'), { input }, bearer(customer.token));
    expect(response.errors).toBeUndefined();
    expect(response.data!.placeOrder).toEqual({
      replayed: false,
      order: null,
      userErrors: [
        {
          __typename: 'InsufficientStockError',
          code: 'INSUFFICIENT_STOCK',
          field: ['input', 'items'],
          message: expect.any(String),
          shortages: [{ product: { id: product.id, name: 'Storefront Kettle' }, requested: 3, available: 2 }],
        },
      ],
    });
    const placed = await server.request(
      operation('Checkout'),
      { input: { ...input, items: [{ productId: product.id, quantity: 2 }] } },
      bearer(customer.token),
    );
    expect(placed.data!.placeOrder).toMatchObject({
      userErrors: [],
      order: { number: expect.stringMatching(/^SG-\d{6,}$/), status: 'PENDING' },
    });
  });

  it("read the signed-in customer's order history through viewer", async () => {
    const product = await newProduct(5);
    const input = { customerId: customer.id, items: [{ productId: product.id, quantity: 1 }] };
    const placed = await server.request(operation('Checkout'), { input }, bearer(customer.token));
    const number = placed.data!.placeOrder.order.number as string;
    const response = await server.request(operation('OrderHistory'), {}, bearer(customer.token));
    expect(response.errors).toBeUndefined();
    expect(response.data!.viewer).toMatchObject({ kind: 'CUSTOMER', customer: { id: customer.id, name: 'Anna  Kowalska' } });
    expect(response.data!.viewer.orders.nodes).toContainEqual(
      expect.objectContaining({
        number,
        status: 'PENDING',
        cancellable: true,
        items: [expect.objectContaining({ product: expect.objectContaining({ slug: product.slug }) })],
      }),
    );
  });

  it('take stock as a partner: walk the warehouse stock and record a count, a retry with the same key changing nothing', async () => {
    const product = await newProduct(7);
    const walked = await server.request(operation('StocktakeWarehouse'), {}, bearer(partnerKey));
    expect(walked.errors).toBeUndefined();
    expect(walked.data!.warehouses[0].stock.totalCount).toBeGreaterThan(0);
    const input = { productId: product.id, warehouseId: gid('Warehouse', 1), onHand: 4, idempotencyKey: randomUUID() };
    const counted = await server.request(operation('StocktakeCount'), { input }, bearer(partnerKey));
    expect(counted.data!.setInventory).toMatchObject({ replayed: false, userErrors: [], inventoryLevel: { onHand: 4, available: 4 } });
    await primary`update inventory_levels set on_hand = on_hand + 10 where product_id = ${product.rowId} and warehouse_id = 1`;
    const retried = await server.request(operation('StocktakeCount'), { input }, bearer(partnerKey));
    expect(retried.data!.setInventory).toMatchObject({ replayed: true, userErrors: [], inventoryLevel: { onHand: 14 } });
  });
});
