import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, type ConnectionManager } from '../../src/cluster/index.js';
import { connectShared } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager);
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

const anonymous = { authorization: '' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const READ = 'query Warehouses { warehouses { code } }';

/** A token from a real mutation, one far past anything the primary has written, and one of a timeline to come. */
async function tokens(): Promise<{ real: string; ahead: string; otherTimeline: string }> {
  const response = await server.request(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`, {
    input: { sku: `SEC-${randomUUID()}`, name: 'Token test', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
  });
  const real = response.extensions!.consistency!.token!;
  const token = decodeToken(real)!;
  return {
    real,
    ahead: encodeToken({ timeline: token.timeline, lsn: token.lsn + 2n ** 36n }),
    otherTimeline: encodeToken({ timeline: token.timeline + 1, lsn: 0n }),
  };
}

describe('failed authentications', () => {
  it('are answered 429 RATE_LIMITED with Retry-After once an address has failed too often', async () => {
    // A server of its own: every request of this file comes from 127.0.0.1.
    const strict = await startTestServer(manager, {
      auth: { anonymousScopes: ['catalog:read'], anonymousRatePerSecond: 1000, failuresPerMinute: 3 },
    });
    try {
      const wrong = bearer('sg_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
      for (let attempt = 0; attempt < 3; attempt += 1) expect((await strict.request(READ, {}, wrong)).status).toBe(401);
      const refused = await strict.request(READ, {}, wrong);
      expect(refused.status).toBe(429);
      // One try comes back every 20 s (3 a minute), less what has passed since the first failure.
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(15);
      expect(retryAfter).toBeLessThanOrEqual(20);
      expect(refused.errors![0]).toMatchObject({
        message: `Too many failed authentications from your address; check the key or token, and retry in ${retryAfter} s.`,
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
      });
      // Anonymous requests from the same address are not affected.
      expect((await strict.request(READ, {}, anonymous)).status).toBe(200);
    } finally {
      await strict.stop();
    }
  });
});

describe('x-read-from: primary', () => {
  it('is refused with 403 FORBIDDEN for a caller that neither writes nor holds primary:read, on both lanes', async () => {
    for (const headers of [anonymous, bearer(await server.createKey(['catalog:read']))]) {
      for (let lane = 0; lane < 2; lane += 1) {
        const response = await server.request(READ, {}, { ...headers, 'x-read-from': 'primary' });
        expect(response.status).toBe(403);
        expect(response.errors![0]).toMatchObject({ extensions: { code: 'FORBIDDEN', scope: 'primary:read' } });
      }
    }
  });

  it('sends the read to the primary for a caller with primary:read or a write scope', async () => {
    for (const scopes of [
      ['catalog:read', 'primary:read'],
      ['catalog:read', 'orders:write'],
    ] as const) {
      const response = await server.request(READ, {}, { ...bearer(await server.createKey([...scopes])), 'x-read-from': 'primary' });
      expect(response.errors).toBeUndefined();
      expect(response.extensions!.routing).toMatchObject({ role: 'primary' });
    }
  });
});

describe('a consistency token', () => {
  it('ahead of the primary, or of another timeline, is ignored for a caller that may not steer reads, and the response says so', async () => {
    const { ahead, otherTimeline } = await tokens();
    for (const token of [ahead, otherTimeline]) {
      const started = Date.now();
      const response = await server.request(READ, {}, { ...anonymous, 'x-consistency-token': token });
      expect(Date.now() - started).toBeLessThan(400);
      expect(response.errors).toBeUndefined();
      expect(response.extensions!.routing).toMatchObject({ role: 'replica' });
      expect(response.extensions!.consistency).toMatchObject({ warning: 'TOKEN_IGNORED' });
    }
  });

  it('ahead of the primary is waited for, then served by the primary, for a caller that writes', async () => {
    const { ahead } = await tokens();
    const writer = bearer(await server.createKey(['catalog:read', 'orders:write']));
    const response = await server.request(READ, {}, { ...writer, 'x-consistency-token': ahead });
    expect(response.extensions!.routing).toMatchObject({ role: 'primary', fallbackReason: 'token-not-replayed' });
    expect(response.extensions!.consistency).toBeUndefined();
  });

  it('the cluster has reached is honoured for every caller', async () => {
    const { real } = await tokens();
    await manager.probeAll();
    const response = await server.request(READ, {}, { ...anonymous, 'x-consistency-token': real });
    expect(response.errors).toBeUndefined();
    expect(response.extensions!.consistency).toBeUndefined();
  });
});
