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
  server = await startTestServer(manager);
  primary = postgres(sharedNodes()[0]!.url, { max: 2 });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await primary?.end();
});

const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku name price { amount currency } status category { id } inventory { totalAvailable } } }
}`;
const ADJUST = `mutation($input: AdjustInventoryInput!) {
  adjustInventory(input: $input) { inventoryLevel { onHand reserved available warehouse { code } } product { inventory { totalAvailable } } }
}`;
const PLACE_ORDER = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { replayed order { id status total { amount currency } items { quantity unitPrice { amount } warehouse { code } product { id } } } }
}`;

/** A product of this test's own, with `stock` units in warehouse 1 and `price` each. */
async function newProduct(stock: number, price = '12.50'): Promise<{ id: string; rowId: number; sku: string }> {
  const sku = `TEST-${randomUUID()}`;
  const created = await server.request(CREATE_PRODUCT, {
    input: { sku, name: 'Test Kettle', price: { amount: price, currency: 'USD' }, categoryId: gid('Category', 2) },
  });
  expect(created.errors).toBeUndefined();
  const id = created.data!.createProduct.product.id as string;
  if (stock > 0) {
    const adjusted = await server.request(ADJUST, { input: { productId: id, warehouseId: gid('Warehouse', 1), delta: stock } });
    expect(adjusted.errors).toBeUndefined();
  }
  const [row] = await primary`select id from products where sku = ${sku}`;
  return { id, rowId: row!.id, sku };
}

const onHand = async (productRowId: number) =>
  (await primary`select coalesce(sum(on_hand), 0)::int as units from inventory_levels where product_id = ${productRowId}`)[0]!
    .units as number;

describe('creating and changing products', () => {
  it('creates a product on the primary and returns it as stored', async () => {
    const sku = `TEST-${randomUUID()}`;
    const response = await server.request(CREATE_PRODUCT, {
      input: { sku, name: '  Walnut Board ', price: { amount: '19.9', currency: 'EUR' }, categoryId: gid('Category', 2) },
    });
    expect(response.extensions!.routing).toMatchObject({ role: 'primary', node: 'pg1' });
    expect(response.data!.createProduct.product).toMatchObject({
      sku,
      name: 'Walnut Board',
      price: { amount: '19.90', currency: 'EUR' },
      status: 'ACTIVE',
      category: { id: gid('Category', 2) },
      inventory: { totalAvailable: 0 },
    });
    expect(await primary`select name, price_amount::text as price from products where sku = ${sku}`).toEqual([
      { name: 'Walnut Board', price: '19.90' },
    ]);
  });

  it('refuses a second product with the same sku, naming the field', async () => {
    const { sku } = await newProduct(0);
    const response = await server.request(CREATE_PRODUCT, {
      input: { sku, name: 'Copy', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
    });
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'A product with this sku already exists; skus are unique.',
        extensions: { code: 'BAD_USER_INPUT', field: 'input.sku' },
      }),
    ]);
  });

  it('refuses an invalid price before writing anything', async () => {
    const sku = `TEST-${randomUUID()}`;
    const response = await server.request(CREATE_PRODUCT, {
      input: { sku, name: 'Cheap', price: { amount: '-3', currency: 'USD' }, categoryId: gid('Category', 2) },
    });
    expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.price.amount' });
    expect(await primary`select 1 from products where sku = ${sku}`).toHaveLength(0);
  });

  it('updates only the given fields', async () => {
    const { id } = await newProduct(0);
    const response = await server.request(
      `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { name price { amount } status } } }`,
      {
        input: { id, price: { amount: '99.00', currency: 'USD' }, status: 'DRAFT' },
      },
    );
    expect(response.data!.updateProduct.product).toEqual({ name: 'Test Kettle', price: { amount: '99.00' }, status: 'DRAFT' });
  });

  it('answers NOT_FOUND with the global id for a product that does not exist', async () => {
    const missing = gid('Product', 2_000_000_000);
    const response = await server.request(`mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } } }`, {
      input: { id: missing, name: 'x' },
    });
    expect(response.errors![0]!.extensions).toEqual({ code: 'NOT_FOUND', type: 'Product', id: missing });
  });
});

describe('adjusting stock', () => {
  it('adds and removes units on hand', async () => {
    const product = await newProduct(10);
    const response = await server.request(ADJUST, { input: { productId: product.id, warehouseId: gid('Warehouse', 1), delta: -4 } });
    expect(response.errors).toBeUndefined();
    expect(response.data!.adjustInventory).toEqual({
      inventoryLevel: { onHand: 6, reserved: 0, available: 6, warehouse: { code: 'AMS' } },
      product: { inventory: { totalAvailable: 6 } },
    });
  });

  it('refuses to remove more than is available and leaves the stock as it was', async () => {
    const product = await newProduct(3);
    const response = await server.request(ADJUST, { input: { productId: product.id, warehouseId: gid('Warehouse', 1), delta: -5 } });
    expect(response.errors![0]!.extensions).toEqual({
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ productId: product.id, warehouseId: gid('Warehouse', 1), requested: 5, available: 3 }],
    });
    expect(await onHand(product.rowId)).toBe(3);
  });
});

describe('placing orders', () => {
  it('writes the order at current prices and takes the units from stock', async () => {
    const product = await newProduct(10, '12.50');
    const response = await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 1), items: [{ productId: product.id, quantity: 3 }] },
    });
    expect(response.extensions!.routing!.role).toBe('primary');
    expect(response.data!.placeOrder).toMatchObject({
      replayed: false,
      order: {
        status: 'PENDING',
        total: { amount: '37.50', currency: 'USD' },
        items: [{ quantity: 3, unitPrice: { amount: '12.50' }, warehouse: { code: 'AMS' } }],
      },
    });
    expect(await onHand(product.rowId)).toBe(7);
  });

  it('refuses an order it cannot fill, names the short product, and changes nothing', async () => {
    const plenty = await newProduct(10);
    const scarce = await newProduct(2);
    const ordersBefore = (await primary`select count(*)::int as n from orders`)[0]!.n;
    const response = await server.request(PLACE_ORDER, {
      input: {
        customerId: gid('Customer', 1),
        items: [
          { productId: plenty.id, quantity: 1 },
          { productId: scarce.id, quantity: 5 },
        ],
      },
    });
    expect(response.errors![0]!.extensions).toEqual({
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ productId: scarce.id, requested: 5, available: 2 }],
    });
    expect([await onHand(plenty.rowId), await onHand(scarce.rowId)]).toEqual([10, 2]);
    expect((await primary`select count(*)::int as n from orders`)[0]!.n).toBe(ordersBefore);
  });

  it('returns the first order again for a retry with the same idempotency key', async () => {
    const product = await newProduct(10);
    const input = { customerId: gid('Customer', 2), items: [{ productId: product.id, quantity: 2 }], idempotencyKey: randomUUID() };
    const first = await server.request(PLACE_ORDER, { input });
    const retry = await server.request(PLACE_ORDER, { input });
    expect(retry.data!.placeOrder.replayed).toBe(true);
    expect(retry.data!.placeOrder.order.id).toBe(first.data!.placeOrder.order.id);
    expect(await primary`select id from orders where idempotency_key = ${input.idempotencyKey}`).toHaveLength(1);
    expect(await onHand(product.rowId)).toBe(8);
  });

  it('places exactly one order when the same key arrives many times at once', async () => {
    const product = await newProduct(50);
    const input = { customerId: gid('Customer', 2), items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() };
    const responses = await Promise.all(Array.from({ length: 8 }, () => server.request(PLACE_ORDER, { input })));
    expect(responses.every((response) => response.errors === undefined)).toBe(true);
    expect(new Set(responses.map((response) => response.data!.placeOrder.order.id)).size).toBe(1);
    expect(responses.filter((response) => !response.data!.placeOrder.replayed)).toHaveLength(1);
    expect(await onHand(product.rowId)).toBe(49);
  });

  it('refuses an idempotency key reused for a different order', async () => {
    const product = await newProduct(10);
    const idempotencyKey = randomUUID();
    await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 2), items: [{ productId: product.id, quantity: 1 }], idempotencyKey },
    });
    const response = await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 2), items: [{ productId: product.id, quantity: 2 }], idempotencyKey },
    });
    expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
    expect(await onHand(product.rowId)).toBe(9);
  });

  it("keeps each caller's idempotency keys its own: another partner's same key places another order", async () => {
    const product = await newProduct(10);
    const idempotencyKey = randomUUID();
    const [acme, globex] = await Promise.all([server.createKey(['orders:write']), server.createKey(['orders:write'])]);
    const place = (key: string, quantity: number) =>
      server.request(
        PLACE_ORDER,
        { input: { customerId: gid('Customer', 2), items: [{ productId: product.id, quantity }], idempotencyKey } },
        { authorization: `Bearer ${key}` },
      );
    const first = await place(acme, 1);
    const other = await place(globex, 2);
    const replay = await place(acme, 1);
    expect(other.errors).toBeUndefined();
    expect(other.data!.placeOrder).toMatchObject({ replayed: false });
    expect(other.data!.placeOrder.order.id).not.toBe(first.data!.placeOrder.order.id);
    expect(replay.data!.placeOrder).toMatchObject({ replayed: true, order: { id: first.data!.placeOrder.order.id } });
    expect(await primary`select idempotency_key from orders where idempotency_key = ${idempotencyKey}`).toHaveLength(2);
    expect(await onHand(product.rowId)).toBe(7);
  });

  it('never sells more than is in stock under concurrent orders', async () => {
    const product = await newProduct(5);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.request(PLACE_ORDER, { input: { customerId: gid('Customer', 3), items: [{ productId: product.id, quantity: 1 }] } }),
      ),
    );
    const placed = responses.filter((response) => response.data?.placeOrder);
    const refused = responses.filter((response) => response.errors?.[0]?.extensions.code === 'INSUFFICIENT_STOCK');
    expect([placed.length, refused.length]).toEqual([5, 3]);
    expect(await onHand(product.rowId)).toBe(0);
  });
});

describe('cancelling orders', () => {
  it('cancels a pending order and puts its units back', async () => {
    const product = await newProduct(4);
    const placed = await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 4), items: [{ productId: product.id, quantity: 3 }] },
    });
    const orderId = placed.data!.placeOrder.order.id;
    const response = await server.request(`mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } } }`, {
      input: { id: orderId },
    });
    expect(response.data!.cancelOrder.order).toEqual({ id: orderId, status: 'CANCELLED' });
    expect(await onHand(product.rowId)).toBe(4);
  });

  it('refuses to cancel an order twice', async () => {
    const product = await newProduct(4);
    const placed = await server.request(PLACE_ORDER, {
      input: { customerId: gid('Customer', 4), items: [{ productId: product.id, quantity: 1 }] },
    });
    const cancel = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { status } } }`;
    await server.request(cancel, { input: { id: placed.data!.placeOrder.order.id } });
    const again = await server.request(cancel, { input: { id: placed.data!.placeOrder.order.id } });
    expect(again.errors![0]).toMatchObject({
      message: 'This order is CANCELLED and can no longer be cancelled; only PENDING or PAID orders can.',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.id', status: 'CANCELLED' },
    });
    expect(await onHand(product.rowId)).toBe(4);
  });
});

describe('reviews', () => {
  it('adds a review once per customer and product', async () => {
    const product = await newProduct(0);
    const add = `mutation($input: AddReviewInput!) { addReview(input: $input) { review { rating body product { id } customer { id } } } }`;
    const input = { productId: product.id, customerId: gid('Customer', 5), rating: 4, body: 'Boils fast.' };
    const first = await server.request(add, { input });
    expect(first.data!.addReview.review).toEqual({
      rating: 4,
      body: 'Boils fast.',
      product: { id: product.id },
      customer: { id: gid('Customer', 5) },
    });
    const second = await server.request(add, { input });
    expect(second.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.customerId' });
  });

  it('refuses a rating outside 1 to 5', async () => {
    const response = await server.request(`mutation($input: AddReviewInput!) { addReview(input: $input) { review { id } } }`, {
      input: { productId: gid('Product', 1), customerId: gid('Customer', 6), rating: 6, body: 'Too good' },
    });
    expect(response.errors![0]).toMatchObject({
      message: 'input.rating must be a whole number from 1 to 5.',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.rating' },
    });
  });
});
