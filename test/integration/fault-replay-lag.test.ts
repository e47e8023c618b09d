import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { pauseReplay } from '../support/replay.js';
import { sleep } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Replay paused with pg_wal_replay_pause() makes real lag: the replica receives WAL but does
 * not apply it. The manager here tolerates 64 kB of lag and waits 400 ms for a token.
 */
let cluster: PrivateCluster;
let server: TestServer;
const replicas = new Map<string, postgres.Sql>();

beforeAll(async () => {
  cluster = await startPrivateCluster({ manager: { maxReplicaLagBytes: 64 * 1024, tokenWaitMs: 400 } });
  server = await startTestServer(cluster.manager);
  for (const name of ['pg2', 'pg3']) replicas.set(name, postgres(cluster.cluster.node(name).url, { max: 1, onnotice: () => {} }));
});
beforeEach(async () => {
  await eventually(() => Promise.resolve(expect(cluster.manager.status().mode).toBe('normal')));
});
afterEach(async () => {
  for (const sql of replicas.values()) await sql`select pg_wal_replay_resume()`;
});
afterAll(async () => {
  await Promise.all([...replicas.values()].map((sql) => sql.end()));
  await server?.stop();
  await cluster?.stop();
});

const pause = (name: string) => pauseReplay(replicas.get(name)!);
const resume = (name: string) => replicas.get(name)!`select pg_wal_replay_resume()`;

async function createProduct(): Promise<{ sku: string; token: string }> {
  const sku = `LAG-${randomUUID()}`;
  const response = await server.request(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`, {
    input: { sku, name: 'Lag test', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
  });
  expect(response.errors).toBeUndefined();
  expect(response.headers.get('x-consistency-token')).toBe(response.extensions!.consistency!.token);
  return { sku, token: response.extensions!.consistency!.token! };
}

const readSku = (sku: string, headers: Record<string, string> = {}) =>
  server.request(`query($sku: String!) { product(sku: $sku) { sku } }`, { sku }, headers);

/** Writes enough WAL on the primary to push a paused replica past the lag bound. */
async function writeWal(bytes: number): Promise<void> {
  await cluster.manager
    .route('write')
    .run((node) => node.sql`select pg_logical_emit_message(false, 'lag-test', repeat('x', ${bytes}))`, { kind: 'write' });
}

describe('replicas that fall behind', () => {
  it('stops reading from a replica whose replay lag exceeds the bound', async () => {
    await pause('pg2');
    await writeWal(256 * 1024);
    await eventually(() =>
      Promise.resolve(expect(cluster.manager.status().nodes.map((node) => node.ineligible)).toEqual([null, 'lagging', null])),
    );
    for (let i = 0; i < 10; i++) expect((await readSku('SKU-000001')).extensions!.routing!.node).toBe('pg3');
  });

  it('falls back to the primary, and says why, when every replica lags', async () => {
    await pause('pg2');
    await pause('pg3');
    await writeWal(256 * 1024);
    await eventually(() => Promise.resolve(expect(cluster.manager.status().mode).toBe('degraded')));
    const response = await readSku('SKU-000001');
    expect(response.extensions!.routing).toMatchObject({ role: 'primary', fallbackReason: 'replicas-lagging' });
  });
});

describe('read-your-writes with a consistency token', () => {
  it('without the token, a query may not see the write yet', async () => {
    await pause('pg2');
    await pause('pg3');
    const { sku } = await createProduct();
    const response = await readSku(sku);
    expect(response.extensions!.routing!.role).toBe('replica');
    expect(response.data!.product).toBeNull();
  });

  it('with the token, a query is served by the primary after a bounded wait when no replica has replayed the write', async () => {
    await pause('pg2');
    await pause('pg3');
    const { sku, token } = await createProduct();
    const started = Date.now();
    const response = await readSku(sku, { 'x-consistency-token': token });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(response.data!.product).toEqual({ sku });
    expect(response.extensions!.routing).toMatchObject({ role: 'primary', fallbackReason: 'token-not-replayed' });
  });

  it('with the token, a query waits for a replica that catches up within the wait', async () => {
    await pause('pg2');
    await pause('pg3');
    const { sku, token } = await createProduct();
    const reading = readSku(sku, { 'x-consistency-token': token });
    await sleep(100);
    await resume('pg3');
    const response = await reading;
    expect(response.data!.product).toEqual({ sku });
    expect(response.extensions!.routing).toMatchObject({ role: 'replica', node: 'pg3' });
  });

  it('with the token, a query goes straight to a replica that has already replayed it', async () => {
    const { sku, token } = await createProduct();
    await eventually(async () => expect((await readSku(sku)).data!.product).toEqual({ sku }));
    const started = Date.now();
    const response = await readSku(sku, { 'x-consistency-token': token });
    expect(Date.now() - started).toBeLessThan(300);
    expect(response.extensions!.routing!.role).toBe('replica');
  });

  it('reads from the primary when the client asks for it', async () => {
    await pause('pg2');
    await pause('pg3');
    const { sku } = await createProduct();
    const response = await readSku(sku, { 'x-read-from': 'primary' });
    expect(response.data!.product).toEqual({ sku });
    expect(response.extensions!.routing!.role).toBe('primary');
  });

  it('accepts an API key on its first request while no replica has replayed it yet', async () => {
    await pause('pg2');
    await pause('pg3');
    const key = await server.createKey(['catalog:read']);
    const response = await server.request('{ warehouses { code } }', {}, { authorization: `Bearer ${key}` });
    expect(response.errors).toBeUndefined();
    expect(response.data!.warehouses.length).toBeGreaterThan(0);
  });

  it('refuses a token that is not one with 400 and BAD_USER_INPUT', async () => {
    const response = await readSku('SKU-000001', { 'x-consistency-token': 'not-a-token' });
    expect(response.status).toBe(400);
    expect(response.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  });
});
