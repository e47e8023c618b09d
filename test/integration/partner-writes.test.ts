import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: TestServer;
let primary: postgres.Sql;

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager, { auth: { anonymousScopes: ['catalog:read'], anonymousRatePerSecond: 1000 } });
  primary = postgres(sharedNodes()[0]!.url, { max: 2 });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await primary?.end();
});

const USER_ERRORS = `userErrors { __typename code field message ... on InsufficientStockError { shortages { product { id } warehouse { code } requested available } } ... on VersionConflictError { currentVersion } }`;
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id slug version } ${USER_ERRORS} } }`;
const UPDATE = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { name version } ${USER_ERRORS} } }`;
const ADJUST = `mutation($input: AdjustInventoryInput!) { adjustInventory(input: $input) { replayed inventoryLevel { onHand } ${USER_ERRORS} } }`;
const SET = `mutation($input: SetInventoryInput!) { setInventory(input: $input) { replayed inventoryLevel { onHand reserved } ${USER_ERRORS} } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number cancellable } ${USER_ERRORS} } }`;
const CANCEL = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status cancellable } ${USER_ERRORS} } }`;
const REVIEW = `mutation($input: AddReviewInput!) { addReview(input: $input) { review { author { displayName } product { reviewCount ratingHistogram { rating count } } } ${USER_ERRORS} } }`;

/** A product of this file's own, named `name`, with `stock` units in warehouse 1. */
async function newProduct(stock = 0, name = 'Partner Teapot'): Promise<{ id: string; rowId: number; slug: string; version: number }> {
  const created = await server.request(CREATE, {
    input: { sku: `PW-${randomUUID()}`, name, price: { amount: '8.00', currency: 'USD' }, categoryId: gid('Category', 2) },
  });
  expect(created.data!.createProduct.userErrors).toEqual([]);
  const product = created.data!.createProduct.product as { id: string; slug: string; version: number };
  if (stock > 0) await server.request(ADJUST, { input: { productId: product.id, warehouseId: gid('Warehouse', 1), delta: stock } });
  const [row] = await primary`select id from products where slug = ${product.slug}`;
  return { ...product, rowId: row!.id as number };
}

async function newCustomer(name: string): Promise<string> {
  const [row] = await primary`insert into customers (email, name) values (${`${randomUUID()}@example.com`}, ${name}) returning id`;
  return gid('Customer', row!.id as number);
}

const unitsSold = async (rowId: number) => (await primary`select units_sold from products where id = ${rowId}`)[0]!.units_sold as number;

describe('typed user errors', () => {
  it('come back in the payload, with no top-level error, when the operation selects them', async () => {
    const response = await server.request(CANCEL, { input: { id: gid('Order', 99_999_999) } });
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelOrder).toEqual({
      order: null,
      userErrors: [{ __typename: 'BasicUserError', code: 'NOT_FOUND', field: null, message: expect.any(String) }],
    });
  });

  it('name the input field at fault as a path', async () => {
    const response = await server.request(PLACE, {
      input: { customerId: gid('Customer', 1), items: [{ productId: gid('Product', 1), quantity: 0 }] },
    });
    expect(response.data!.placeOrder.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: ['input', 'items', '0', 'quantity'] }),
    ]);
  });

  it('stay top-level errors, as before, for an operation that does not select them', async () => {
    const response = await server.request(`mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id } } }`, {
      input: { id: gid('Order', 99_999_999) },
    });
    expect(response.data!.cancelOrder).toBeNull();
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leave what the input cannot fix (a missing scope) a top-level error', async () => {
    const response = await server.request(CANCEL, { input: { id: gid('Order', 1) } }, { authorization: '' });
    expect(response.data!.cancelOrder).toBeNull();
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('stock changes', () => {
  it('book an adjustment retried with the same idempotency key once', async () => {
    const product = await newProduct(5);
    const input = { productId: product.id, warehouseId: gid('Warehouse', 1), delta: 3, idempotencyKey: randomUUID() };
    const first = await server.request(ADJUST, { input });
    const retry = await server.request(ADJUST, { input });
    expect(first.data!.adjustInventory).toMatchObject({ replayed: false, inventoryLevel: { onHand: 8 }, userErrors: [] });
    expect(retry.data!.adjustInventory).toMatchObject({ replayed: true, inventoryLevel: { onHand: 8 }, userErrors: [] });
  });

  it('refuse an idempotency key reused for another change', async () => {
    const product = await newProduct(5);
    const input = { productId: product.id, warehouseId: gid('Warehouse', 1), delta: 3, idempotencyKey: randomUUID() };
    await server.request(ADJUST, { input });
    const reused = await server.request(ADJUST, { input: { ...input, delta: 4 } });
    expect(reused.data!.adjustInventory.userErrors).toEqual([
      expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] }),
    ]);
    const asCount = await server.request(SET, {
      input: { productId: product.id, warehouseId: gid('Warehouse', 1), onHand: 3, idempotencyKey: input.idempotencyKey },
    });
    expect(asCount.data!.setInventory.userErrors).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' })]);
  });

  it('report a removal of more than is available as the shortage of that warehouse', async () => {
    const product = await newProduct(2);
    const response = await server.request(ADJUST, { input: { productId: product.id, warehouseId: gid('Warehouse', 1), delta: -5 } });
    expect(response.data!.adjustInventory.userErrors).toEqual([
      expect.objectContaining({
        __typename: 'InsufficientStockError',
        field: ['input', 'delta'],
        shortages: [{ product: { id: product.id }, warehouse: { code: 'AMS' }, requested: 5, available: 2 }],
      }),
    ]);
  });

  it('set a count, creating the stock row of a warehouse that had none', async () => {
    const product = await newProduct();
    const response = await server.request(SET, { input: { productId: product.id, warehouseId: gid('Warehouse', 2), onHand: 12 } });
    expect(response.data!.setInventory).toMatchObject({ replayed: false, inventoryLevel: { onHand: 12, reserved: 0 }, userErrors: [] });
  });

  it('refuse a count below the reserved units with BELOW_RESERVED, and change nothing', async () => {
    const product = await newProduct(10);
    await primary`update inventory_levels set reserved = 6 where product_id = ${product.rowId} and warehouse_id = 1`;
    const response = await server.request(SET, { input: { productId: product.id, warehouseId: gid('Warehouse', 1), onHand: 5 } });
    expect(response.data!.setInventory.userErrors).toEqual([
      expect.objectContaining({ code: 'BELOW_RESERVED', field: ['input', 'onHand'] }),
    ]);
    const [level] = await primary`select on_hand from inventory_levels where product_id = ${product.rowId} and warehouse_id = 1`;
    expect(level!.on_hand).toBe(10);
  });
});

describe('product edits', () => {
  it('apply a change made against the current version, and count the version up', async () => {
    const product = await newProduct();
    const response = await server.request(UPDATE, { input: { id: product.id, expectedVersion: product.version, name: 'Renamed Teapot' } });
    expect(response.data!.updateProduct).toEqual({ product: { name: 'Renamed Teapot', version: product.version + 1 }, userErrors: [] });
  });

  it('refuse a change made against a stale version with the current one, and change nothing', async () => {
    const product = await newProduct();
    await server.request(UPDATE, { input: { id: product.id, name: 'First Editor' } });
    const response = await server.request(UPDATE, { input: { id: product.id, expectedVersion: product.version, name: 'Second Editor' } });
    expect(response.data!.updateProduct).toEqual({
      product: null,
      userErrors: [
        {
          __typename: 'VersionConflictError',
          code: 'VERSION_CONFLICT',
          field: ['input', 'expectedVersion'],
          message: expect.any(String),
          currentVersion: product.version + 1,
        },
      ],
    });
    const [row] = await primary`select name from products where id = ${product.rowId}`;
    expect(row!.name).toBe('First Editor');
  });

  it('give a new product the slug of its name, with its id after it when another product has that slug', async () => {
    const name = `Slugged ${randomUUID()}`;
    const first = await newProduct(0, name);
    const second = await newProduct(0, name);
    expect(first.slug).toBe(`slugged-${name.slice(8)}`);
    expect(second.slug).toBe(`${first.slug}-${second.rowId}`);
    const found = await server.request(
      `query($slug: String!) { productBySlug(slug: $slug) { id } }`,
      { slug: second.slug },
      { authorization: '' },
    );
    expect(found.data!.productBySlug).toEqual({ id: second.id });
  });

  it('refuse a slug another product has with TAKEN, and a malformed one with INVALID', async () => {
    const product = await newProduct();
    const input = { sku: `PW-${randomUUID()}`, name: 'Copy', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) };
    const taken = await server.request(CREATE, { input: { ...input, slug: product.slug } });
    expect(taken.data!.createProduct.userErrors).toEqual([expect.objectContaining({ code: 'TAKEN', field: ['input', 'slug'] })]);
    const malformed = await server.request(CREATE, { input: { ...input, slug: 'Not A Slug' } });
    expect(malformed.data!.createProduct.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'slug'] })]);
  });
});

describe('orders and reviews', () => {
  it('count units sold for the best-selling order, and take them off again when the order is cancelled', async () => {
    const product = await newProduct(10);
    const placed = await server.request(PLACE, {
      input: { customerId: gid('Customer', 1), items: [{ productId: product.id, quantity: 4 }] },
    });
    expect(placed.data!.placeOrder.order).toMatchObject({ number: expect.stringMatching(/^SG-\d{6,}$/), cancellable: true });
    expect(await unitsSold(product.rowId)).toBe(4);
    const cancelled = await server.request(CANCEL, { input: { id: placed.data!.placeOrder.order.id } });
    expect(cancelled.data!.cancelOrder).toEqual({ order: { status: 'CANCELLED', cancellable: false }, userErrors: [] });
    expect(await unitsSold(product.rowId)).toBe(0);
  });

  it('answer a cancellation retried with the same idempotency key as the first, changing nothing', async () => {
    const product = await newProduct(3);
    const placed = await server.request(PLACE, {
      input: { customerId: gid('Customer', 1), items: [{ productId: product.id, quantity: 2 }] },
    });
    const input = { id: placed.data!.placeOrder.order.id, idempotencyKey: randomUUID() };
    const first = await server.request(
      `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { replayed order { status } userErrors { code } } }`,
      { input },
    );
    const retry = await server.request(
      `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { replayed order { status } userErrors { code } } }`,
      { input },
    );
    expect(first.data!.cancelOrder).toEqual({ replayed: false, order: { status: 'CANCELLED' }, userErrors: [] });
    expect(retry.data!.cancelOrder).toEqual({ replayed: true, order: { status: 'CANCELLED' }, userErrors: [] });
    const [level] = await primary`select on_hand from inventory_levels where product_id = ${product.rowId} and warehouse_id = 1`;
    expect(level!.on_hand).toBe(3);
  });

  it('refuse to cancel an order twice with NOT_CANCELLABLE', async () => {
    const product = await newProduct(1);
    const placed = await server.request(PLACE, {
      input: { customerId: gid('Customer', 1), items: [{ productId: product.id, quantity: 1 }] },
    });
    const input = { id: placed.data!.placeOrder.order.id };
    await server.request(CANCEL, { input });
    const again = await server.request(CANCEL, { input });
    expect(again.data!.cancelOrder.userErrors).toEqual([expect.objectContaining({ code: 'NOT_CANCELLABLE', field: ['input', 'id'] })]);
  });

  it("show a review's author by first name and initial only, and count the rating in the product's histogram", async () => {
    const product = await newProduct();
    const customerId = await newCustomer('  Anna   Maria Kowalska ');
    const response = await server.request(REVIEW, { input: { productId: product.id, customerId, rating: 4, body: 'Pours well.' } });
    expect(response.data!.addReview).toEqual({
      review: {
        author: { displayName: 'Anna K.' },
        product: {
          reviewCount: 1,
          ratingHistogram: [
            { rating: 5, count: 0 },
            { rating: 4, count: 1 },
            { rating: 3, count: 0 },
            { rating: 2, count: 0 },
            { rating: 1, count: 0 },
          ],
        },
      },
      userErrors: [],
    });
    const again = await server.request(REVIEW, { input: { productId: product.id, customerId, rating: 5, body: 'Still good.' } });
    expect(again.data!.addReview.userErrors).toEqual([expect.objectContaining({ code: 'ALREADY_REVIEWED' })]);
  });

  it('show an author with a single name by that name', async () => {
    const product = await newProduct();
    const customerId = await newCustomer('Madonna');
    const response = await server.request(REVIEW, { input: { productId: product.id, customerId, rating: 5, body: 'Iconic.' } });
    expect(response.data!.addReview.review.author).toEqual({ displayName: 'Madonna' });
  });
});

describe('the viewer', () => {
  it('is anonymous, with the anonymous scopes, for a request without credentials', async () => {
    const response = await server.request(
      `{ viewer { kind scopes apiKeyName customer { id } orders(first: 1) { totalCount } } }`,
      {},
      { authorization: '' },
    );
    expect(response.data!.viewer).toEqual({ kind: 'ANONYMOUS', scopes: ['catalog:read'], apiKeyName: null, customer: null, orders: null });
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'orders:read' });
  });

  it('is the API key, by its name and scopes, for a key', async () => {
    const key = await server.createKey(['catalog:read', 'inventory:write']);
    const response = await server.request(`{ viewer { kind scopes apiKeyName customer { id } } }`, {}, { authorization: `Bearer ${key}` });
    expect(response.data!.viewer).toEqual({
      kind: 'API_KEY',
      scopes: ['catalog:read', 'inventory:write'],
      apiKeyName: 'test',
      customer: null,
    });
  });
});
