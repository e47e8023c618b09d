import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { createLogger } from '../../src/log.js';
import { connectShared } from '../support/cluster.js';
import { gid } from '../support/ids.js';

/**
 * Web pages on other origins call the API through CORS: the browser's preflight (OPTIONS) is
 * answered before either lane, and every response, from the full path or the fast lane,
 * carries the headers that let the page read it. (test/browser runs the same in Chromium.)
 */
const SHOP = 'http://shop.localhost:5173';
let manager: ConnectionManager;
let server: RunningServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQLServer({
    cluster: manager,
    port: 0,
    host: '127.0.0.1',
    corsOrigins: [SHOP, '*'],
    logger: createLogger({ to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

const preflight = (origin: string, headers = 'content-type, authorization, x-consistency-token') =>
  fetch(server.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });

describe('a preflight', () => {
  it('from a listed origin is answered 204 with the methods, request headers and lifetime it may use', async () => {
    const response = await preflight(SHOP);
    expect(response.status).toBe(204);
    // The exact lists are the unit tests' (test/unit/cors.test.ts); here, that they reach the browser.
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization, x-consistency-token, x-read-from');
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('from any other origin is answered 204 for anonymous use only, without authorization', async () => {
    const response = await preflight('http://elsewhere.localhost:8080');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).not.toContain('authorization');
  });

  it('to a server that lists no origins is answered 204 without any CORS header', async () => {
    const closed = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(closed.url, {
        method: 'OPTIONS',
        headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(response.status).toBe(204);
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    } finally {
      await closed.stop();
    }
  });
});

describe('responses to a page of a listed origin', () => {
  const query = 'query CorsProduct($id: ID!) { product(id: $id) { sku name } }';
  const post = () =>
    fetch(server.url, {
      method: 'POST',
      headers: { origin: SHOP, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { id: gid('Product', 31) } }),
    });

  it('let the page read them and their request id, from the full path and from the fast lane alike', async () => {
    const full = await post();
    const fast = await post();
    for (const response of [full, fast]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(response.headers.get('access-control-expose-headers')).toBe('x-consistency-token, x-request-id, retry-after');
    }
    const fastLine = lines.find((line) => line.requestId === fast.headers.get('x-request-id'));
    expect(fastLine).toMatchObject({ lane: 'fast', operation: 'CorsProduct' });
  });
});
