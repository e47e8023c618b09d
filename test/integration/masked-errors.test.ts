import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { createLogger } from '../../src/log.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';

/**
 * An unexpected failure (here: a column the code needs was renamed under it) reaches the
 * client as INTERNAL_SERVER_ERROR with a request id, and the log line with that id says
 * what failed without the SQL, the stack or the host.
 */
let cluster: PrivateCluster;
let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster({ replicas: 0 });
  server = await startGraphQLServer({
    cluster: cluster.manager,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ to: (line) => lines.push(line) }),
  });
  const sql = postgres(cluster.cluster.nodes[0]!.url, { max: 1, onnotice: () => {} });
  await sql`alter table warehouses rename column city to town`;
  await sql.end();
});
afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

describe('an unexpected failure', () => {
  it('reaches the client as INTERNAL_SERVER_ERROR with a request id, and nothing internal', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ warehouses { code city } }' }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { errors: { message: string; extensions: { code: string; requestId: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(body.errors[0]!.extensions.requestId).toBe(response.headers.get('x-request-id'));
    expect(text).not.toMatch(/select |city|127\.0\.0\.1|postgres|at \w+ \(/i);
  });

  it('is logged as an error once, with the request id and the SQLSTATE, but no SQL, stack or host', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ warehouses { code city } }' }),
    });
    const requestId = response.headers.get('x-request-id')!;
    const logged = lines.filter((line) => line.includes(requestId) && line.includes('"level":"error"'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: 'error', requestId, sqlstate: '42703' });
    expect(logged[0]).not.toMatch(/select|city|127\.0\.0\.1|at \w+ \(/i);
  });
});
