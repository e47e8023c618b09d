import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { createLogger } from '../../src/log.js';
import { connectShared } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/server.js';

let manager: ConnectionManager;
let server: RunningServer;
let keys: TestServer;
/** The API's port, and the admin listener's. */
let base: string;
let admin: string;
const lines: string[] = [];

beforeAll(async () => {
  manager = await connectShared();
  server = await startGraphQLServer({
    cluster: manager,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ to: (line) => lines.push(line) }),
    admin: { port: 0, host: '127.0.0.1' },
  });
  base = server.url.replace(/\/graphql$/, '');
  admin = server.adminUrl!;
  keys = await startTestServer(manager);
});
afterAll(async () => {
  await server?.stop();
  await keys?.stop();
  await manager?.close();
});

const query = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('/healthz', () => {
  it('answers 200 while the process lives', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('/readyz', () => {
  it('is ready, naming every node with its role and state, on the admin listener', async () => {
    const response = await fetch(`${admin}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      mode: string;
      primary: string;
      nodes: { name: string; role: string; state: string }[];
    };
    expect(body).toMatchObject({
      status: 'ready',
      mode: 'normal',
      primary: 'pg1',
      timeline: 1,
      durability: 'synchronous',
      synchronousStandbys: ['pg2', 'pg3'],
    });
    expect(body.nodes.map(({ name, role, state }) => ({ name, role, state }))).toEqual([
      { name: 'pg1', role: 'primary', state: 'up' },
      { name: 'pg2', role: 'replica', state: 'up' },
      { name: 'pg3', role: 'replica', state: 'up' },
    ]);
  });

  it("says only its status on the API's port, for load balancers", async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it("shows its details on the API's port to admin credentials only", async () => {
    const asAdmin = await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${await keys.createKey(['admin'])}` } });
    expect(await asAdmin.json()).toMatchObject({ status: 'ready', primary: 'pg1' });
    const asPartner = await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${await keys.createKey(['catalog:read'])}` } });
    expect(await asPartner.json()).toEqual({ status: 'ready' });
  });
});

describe('/metrics', () => {
  it('counts operations by name, type and outcome, and statements by node and role', async () => {
    await query({ query: 'query MetricsProbe { warehouses { code } }' });
    await query({ query: 'query MetricsProbe { warehouses { code } }' });
    await query({ query: '{ nope }' });
    const text = await (await fetch(`${admin}/metrics`)).text();
    expect(text).toContain('shopgraph_graphql_operations_total{operation="MetricsProbe",type="query",outcome="ok"} 2');
    expect(text).toMatch(
      /shopgraph_graphql_operations_total\{operation="anonymous",type="invalid",outcome="GRAPHQL_VALIDATION_FAILED"\} 1/,
    );
    expect(text).toMatch(/shopgraph_sql_statements_total\{node="pg[23]",role="replica"\} [1-9]/);
    expect(text).toMatch(/shopgraph_http_requests_total\{method="POST",status="200"\} [1-9]/);
    expect(text).toMatch(/shopgraph_graphql_operation_duration_seconds_bucket\{le="0\.1",type="query",outcome="ok"\} [1-9]/);
  });

  it('reports routing, health and replication state', async () => {
    const text = await (await fetch(`${admin}/metrics`)).text();
    for (const family of [
      'shopgraph_routing_reads_total{target="replica",reason="eligible"}',
      'shopgraph_routing_reads_total{target="primary",reason="replicas-lagging"} 0',
      'shopgraph_token_waits_total{outcome="timed_out"} 0',
      'shopgraph_retries_total{intent="read"} 0',
      'shopgraph_failovers_total 0',
      'shopgraph_rediscoveries_total 0',
      'shopgraph_node_up{node="pg1"} 1',
      'shopgraph_node_circuit_state{node="pg2",state="up"} 1',
      'shopgraph_node_role{node="pg1",role="primary"} 1',
      'shopgraph_node_fenced{node="pg1"} 0',
      'shopgraph_replica_lag_bytes{node="pg2"}',
      'shopgraph_replica_lag_seconds{node="pg3"}',
      'shopgraph_cluster_mode{mode="normal"} 1',
      'shopgraph_cluster_durability{durability="synchronous"} 1',
      'shopgraph_cluster_durability{durability="local-only"} 0',
      'shopgraph_primary_synchronous_standbys 2',
      'shopgraph_cluster_timeline 1',
      'shopgraph_process_resident_memory_bytes',
    ]) {
      expect(text).toContain(family);
    }
  });

  it("are refused on the API's port without admin credentials", async () => {
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const partner = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${await keys.createKey(['catalog:read'])}` } });
    expect(partner.status).toBe(403);
    expect(((await partner.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
  });

  it("are served on the API's port to admin credentials", async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${await keys.createKey(['admin'])}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('shopgraph_node_role{node="pg1",role="primary"} 1');
  });
});

describe('logs', () => {
  it('have one JSON line per request with its id, operation, caller, node, status and duration, and no credential', async () => {
    const response = await query(
      { query: 'query LogProbe { warehouses { code } }' },
      { authorization: 'Bearer sg_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
    );
    const refused = response.headers.get('x-request-id')!;
    const ok = await query({ query: 'query LogProbe { warehouses { code } }' });
    const requestId = ok.headers.get('x-request-id')!;
    const line = JSON.parse(lines.find((candidate) => candidate.includes(requestId))!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request',
      requestId,
      path: '/graphql',
      status: 200,
      operation: 'LogProbe',
      type: 'query',
      caller: 'anonymous',
      role: 'replica',
      outcome: 'ok',
    });
    expect(line.node).toMatch(/^pg[23]$/);
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(typeof line.time).toBe('string');
    expect(lines.join('\n')).not.toContain('sg_aaaaaaaaaaaa_bbbb');
    expect(JSON.parse(lines.find((candidate) => candidate.includes(refused))!)).toMatchObject({ requestId: refused, status: 401 });
  });
});
