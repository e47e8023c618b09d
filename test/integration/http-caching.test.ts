import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { connectShared } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * HTTP caching as a CDN and a browser see it: catalogue reads anyone may make are public with
 * the strictest maxAge of their fields, an ETag and Vary; a GET with only a persisted query's
 * hash can be cached without its text, and is answered 304 when the ETag still holds; anything
 * personal, credential-dependent, failing or writing is never stored.
 */
let manager: ConnectionManager;
let server: RunningServer;
let helper: TestServer;
let adminKey: string;

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1' });
  helper = await startTestServer(manager);
  adminKey = await helper.createKey(['admin']);
});
afterAll(async () => {
  await server?.stop();
  await helper?.stop();
  await manager?.close();
});

const PRODUCT = 'query CachedProduct($id: ID!) { product(id: $id) { id name price { amount currency } inventory { totalAvailable } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function persistedGet(hash: string, variables: Record<string, unknown>, headers: Record<string, string> = {}, query?: string) {
  const search = new URLSearchParams({
    variables: JSON.stringify(variables),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }),
    ...(query ? { query } : {}),
  });
  return fetch(`${server.url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
}

function post(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
}

describe('HTTP caching', () => {
  it('answers a GET persisted query public with max-age and an ETag, then 304 for that ETag', async () => {
    const hash = sha256(PRODUCT);
    const variables = { id: gid('Product', 7) };
    expect(
      ((await (await persistedGet(hash, variables)).json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await persistedGet(hash, variables, {}, PRODUCT)).status).toBe(200);

    const first = await persistedGet(hash, variables);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=10');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers.get('vary')).toContain('accept');
    expect(first.headers.get('vary')).not.toContain('authorization');
    const body = (await first.json()) as { data: unknown };

    const revalidated = await persistedGet(hash, variables, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(revalidated.headers.get('cache-control')).toBe('public, max-age=10');
    expect(await revalidated.text()).toBe('');

    const other = await persistedGet(hash, { id: gid('Product', 8) }, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
    expect(body.data).toMatchObject({ product: { id: variables.id } });
  });

  it('gives the same caching headers on the fast lane as on the full path', async () => {
    const variables = { id: gid('Product', 9) };
    const full = await post(PRODUCT, variables);
    const fast = await post(PRODUCT, variables);
    for (const name of ['cache-control', 'etag', 'vary']) expect(fast.headers.get(name)).toBe(full.headers.get(name));
    expect(fast.headers.get('etag')).toBeTruthy();
    const revalidated = await post(PRODUCT, variables, { 'if-none-match': full.headers.get('etag')! });
    expect(revalidated.status).toBe(304);
  });

  it('shares a read made with credentials when anonymous callers could make it, and not one that shows what only credentials may read', async () => {
    const response = await post(
      '{ warehouses { code } product(id: "' + gid('Product', 3) + '") { name } }',
      {},
      { authorization: `Bearer ${adminKey}` },
    );
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    const withReviews = await post(
      '{ product(id: "' + gid('Product', 3) + '") { reviews(first: 2) { nodes { rating customer { name } } } } }',
      {},
      { authorization: `Bearer ${adminKey}` },
    );
    expect(withReviews.headers.get('cache-control')).toBe('no-store');
  });

  it('never stores personal data, errors or mutations', async () => {
    const auth = { authorization: `Bearer ${adminKey}` };
    expect((await post('{ customers(first: 2) { nodes { email } } }', {}, auth)).headers.get('cache-control')).toBe('no-store');
    const forbidden = await post(
      '{ product(id: "' + gid('Product', 3) + '") { name reviews(first: 1) { nodes { customer { name } } } } }',
      {},
    );
    expect(forbidden.headers.get('cache-control')).toBe('no-store');
    expect(forbidden.headers.get('etag')).toBeNull();
    const failing = await post('query ($id: ID!) { product(id: $id) { name } }', { id: 'not-an-id' });
    expect(failing.headers.get('cache-control')).toBe('no-store');
    const mutation = await post(
      'mutation ($input: AdjustInventoryInput!) { adjustInventory(input: $input) { __typename } }',
      { input: { productId: gid('Product', 1), warehouseId: gid('Warehouse', 1), delta: 0 } },
      auth,
    );
    expect(mutation.headers.get('cache-control')).toBe('no-store');
  });
});
