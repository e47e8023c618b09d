import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A statement past the read timeout (here: stuck behind a table lock on the primary) is slow,
 * not a sign of a dead node: it is cancelled and tried once more, the client gets TIMEOUT,
 * and the node stays in service because its probes still answer. Whichever lane starts the
 * read, it is sent twice at most.
 */
let manager: ConnectionManager;
let server: TestServer;
let primary: postgres.Sql;

beforeAll(async () => {
  manager = await connectShared({ statementTimeoutMs: 300 });
  server = await startTestServer(manager, { requestTimeoutMs: 5000 });
  primary = postgres(sharedNodes()[0]!.url, { max: 2, onnotice: () => {} });
  // The caller's key is looked up (one statement) on its first request, not during the counts below.
  await server.request('{ __typename }');
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await primary?.end();
});

const fromPrimary = { 'x-read-from': 'primary' };
const statementsSent = () => manager.nodes.reduce((sum, node) => sum + node.statements, 0);
const waitingStatements = async () =>
  (await primary`select count(*)::int as n from pg_stat_activity where application_name = 'shopgraph' and wait_event_type = 'Lock'`)[0]!
    .n as number;

/** Runs `during` while another session holds an exclusive lock on the warehouses table. */
async function withWarehousesLocked(during: () => Promise<void>): Promise<void> {
  const blocker = await primary.reserve();
  try {
    await blocker`begin`;
    await blocker`lock table warehouses in access exclusive mode`;
    await during();
  } finally {
    await blocker`rollback`;
    blocker.release();
  }
}

describe('a read past the read timeout', () => {
  it.each([
    ['the full path', 'query SlowFull { warehouses { code } }', false],
    ['the fast lane', 'query SlowFast { warehouses { code } }', true],
  ])('started by %s is cancelled, sent twice at most, answered TIMEOUT, and leaves its node in service', async (_, query, learnt) => {
    if (learnt) expect((await server.request(query, {}, fromPrimary)).errors).toBeUndefined();
    await withWarehousesLocked(async () => {
      const before = statementsSent();
      const response = await server.request(query, {}, fromPrimary);
      expect(response.errors![0]!.extensions.code).toBe('TIMEOUT');
      expect(statementsSent() - before).toBe(2);
      await eventually(async () => expect(await waitingStatements()).toBe(0), { timeoutMs: 2000 });
      expect(manager.status().nodes.map((node) => node.state)).toEqual(['up', 'up', 'up']);
    });
    expect((await server.request(query, {}, fromPrimary)).data).toEqual({ warehouses: expect.any(Array) });
  });
});
