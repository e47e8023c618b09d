import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

const JWT_SECRET = 'partner-test-secret-0123456789abcdefghij';
const ISSUER = 'https://id.partner.example';

let manager: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager, {
    auth: {
      anonymousScopes: ['catalog:read'],
      anonymousRatePerSecond: 1000,
      jwt: { secret: JWT_SECRET, issuer: ISSUER, ratePerSecond: 1000 },
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const anonymous = { authorization: '' };

/** A signed token; `expiresIn: null` leaves out the exp claim. */
async function jwt(claims: Record<string, unknown>, options: { expiresIn?: string | null; secret?: string } = {}): Promise<string> {
  const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setIssuedAt();
  if (options.expiresIn !== null) token.setExpirationTime(options.expiresIn ?? '5m');
  return token.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

describe('anonymous callers', () => {
  it('read the catalogue', async () => {
    const response = await server.request('{ product(sku: "SKU-000001") { sku } }', {}, anonymous);
    expect(response.data!.product).toEqual({ sku: 'SKU-000001' });
  });

  it('get FORBIDDEN for personal data, for that field only', async () => {
    const response = await server.request('{ product(sku: "SKU-000001") { sku } customers(first: 1) { totalCount } }', {}, anonymous);
    expect(response.data).toEqual({ product: { sku: 'SKU-000001' }, customers: null });
    expect(response.errors).toEqual([
      expect.objectContaining({ path: ['customers'], extensions: { code: 'FORBIDDEN', scope: 'customers:read' } }),
    ]);
  });

  it('cannot write', async () => {
    const response = await server.request('mutation { cancelOrder(input: { id: "x" }) { order { id } } }', {}, anonymous);
    expect(response.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', scope: 'orders:write' });
  });
});

describe('API keys', () => {
  it('grant their scopes per field, and nothing else', async () => {
    const key = await server.createKey(['catalog:read', 'orders:read']);
    const response = await server.request(
      `query($id: ID!) { order(id: $id) { id customer { id name } } product(sku: "SKU-000002") { sku } }`,
      { id: gid('Order', 1) },
      bearer(key),
    );
    expect(response.data).toEqual({
      order: { id: gid('Order', 1), customer: { id: expect.any(String), name: null } },
      product: { sku: 'SKU-000002' },
    });
    expect(response.errors).toEqual([
      expect.objectContaining({ path: ['order', 'customer', 'name'], extensions: { code: 'FORBIDDEN', scope: 'customers:read' } }),
    ]);
  });

  it('refuse a node of a type the caller may not read, leaving the other ids answered', async () => {
    const key = await server.createKey(['catalog:read']);
    const response = await server.request(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      { ids: [gid('Product', 1), gid('Order', 1)] },
      bearer(key),
    );
    expect(response.data!.nodes).toEqual([{ id: gid('Product', 1) }, null]);
    expect(response.errors).toEqual([
      expect.objectContaining({ path: ['nodes', 1], extensions: { code: 'FORBIDDEN', scope: 'orders:read' } }),
    ]);
  });

  it('are refused with 401 when they are not valid', async () => {
    const response = await server.request(
      '{ warehouses { code } }',
      {},
      bearer('sg_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="shopgraph"');
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('come from shopgraph keys create, are listed without their secret, and stop working once revoked', async () => {
    const env = {
      DATABASE_URLS: sharedNodes()
        .map((node) => node.url)
        .join(','),
    };
    const created = await runCli(
      ['keys', 'create', '--name', 'partner-x', '--scopes', 'catalog:read,orders:read', '--rate', '40', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
    expect(key).toMatch(/^sg_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);

    const listed = await runCli(['keys', 'list', '--json'], env);
    const entry = (JSON.parse(listed.stdout) as { id: string; name: string; scopes: string[]; ratePerSecond: number }[]).find(
      (row) => row.id === id,
    );
    expect(entry).toMatchObject({ name: 'partner-x', scopes: ['catalog:read', 'orders:read'], ratePerSecond: 40 });
    expect(listed.stdout).not.toContain(key);

    const before = await server.request('{ orders(first: 1) { totalCount } }', {}, bearer(key));
    expect(before.errors).toBeUndefined();
    expect((await runCli(['keys', 'revoke', id], env)).code).toBe(0);
    // A fresh server has no cached copy of the key.
    const fresh = await startTestServer(manager);
    try {
      const after = await fresh.request('{ orders(first: 1) { totalCount } }', {}, bearer(key));
      expect(after.status).toBe(401);
      expect(after.errors![0]!.message).toBe('This API key was revoked. Ask for a new one.');
    } finally {
      await fresh.stop();
    }
  });
});

describe('tokens from the partner identity provider', () => {
  it('grant the scopes of their scope claim', async () => {
    const token = await jwt({ sub: 'partner-app', scope: 'catalog:read customers:read' });
    const response = await server.request('{ customers(first: 2) { nodes { name } } }', {}, bearer(token));
    expect(response.errors).toBeUndefined();
    expect(response.data!.customers.nodes).toHaveLength(2);
  });

  it.each([
    [
      'expired',
      () => jwt({ sub: 'a', scope: 'catalog:read' }, { expiresIn: '-1m' }),
      'The token has expired; get a new one from your identity provider.',
    ],
    [
      'they never expire (no exp claim)',
      () => jwt({ sub: 'a', scope: 'catalog:read' }, { expiresIn: null }),
      'The token has no exp claim, and this server accepts only tokens that expire; ask your identity provider for ones that do.',
    ],
    [
      'forged',
      () => jwt({ sub: 'a', scope: 'admin' }, { secret: 'someone-elses-secret-0123456789abcdefgh' }),
      'The token signature is not valid.',
    ],
  ])('are refused with 401 when %s', async (_, make, message) => {
    const response = await server.request('{ warehouses { code } }', {}, bearer(await make()));
    expect(response.status).toBe(401);
    expect(response.errors![0]).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe("a customer's own token", () => {
  const customerId = 7;
  const token = () => jwt({ sub: gid('Customer', customerId), scope: 'catalog:read orders:write' });

  it("reads that customer's profile and only that customer's orders", async () => {
    const response = await server.request(
      `query($id: ID!) { customer(id: $id) { name orders(first: 100) { nodes { customer { id } } } } orders(first: 100) { nodes { customer { id } } } }`,
      { id: gid('Customer', customerId) },
      bearer(await token()),
    );
    expect(response.errors).toBeUndefined();
    const owners = new Set(
      [...response.data!.customer.orders.nodes, ...response.data!.orders.nodes].map(
        (order: { customer: { id: string } }) => order.customer.id,
      ),
    );
    expect([...owners]).toEqual([gid('Customer', customerId)]);
  });

  it("is refused another customer's profile and orders", async () => {
    const otherOrder = (
      await manager.route('read').run((node) => node.sql`select id from orders where customer_id <> ${customerId} limit 1`)
    )[0]!.id as number;
    const response = await server.request(
      `query($customer: ID!, $order: ID!) { customer(id: $customer) { name } order(id: $order) { id } }`,
      { customer: gid('Customer', customerId + 1), order: gid('Order', otherOrder) },
      bearer(await token()),
    );
    expect(response.data).toEqual({ customer: null, order: null });
    expect(response.errors!.map((error) => [error.path, error.extensions.code])).toEqual([
      [['customer'], 'FORBIDDEN'],
      [['order'], 'FORBIDDEN'],
    ]);
  });

  it('places orders for that customer only', async () => {
    const order = (customer: number) => ({
      input: {
        customerId: gid('Customer', customer),
        items: [{ productId: gid('Product', 3), quantity: 1 }],
        idempotencyKey: randomUUID(),
      },
    });
    const mutation = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { customer { id } } } }`;
    const own = await server.request(mutation, order(customerId), bearer(await token()));
    expect(own.errors).toBeUndefined();
    const other = await server.request(mutation, order(customerId + 1), bearer(await token()));
    expect(other.errors![0]!.extensions.code).toBe('FORBIDDEN');
  });
});
