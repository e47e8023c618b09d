import type { ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts } from '../../src/embedded/ports.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { spawnCli } from '../support/cli.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: PrivateCluster;

beforeAll(async () => {
  cluster = await startPrivateCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('stopping the server', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('finishes the requests in flight, takes no new ones, and exits cleanly', async () => {
    const [port] = await findFreePorts(1);
    const url = `http://127.0.0.1:${port}/graphql`;
    child = spawnCli(['start'], {
      PORT: String(port),
      DATABASE_URLS: cluster.cluster.nodes.map((node) => `${node.url}#${node.name}`).join(','),
      SHOPGRAPH_SHUTDOWN_GRACE_MS: '15000',
      // The in-flight request below asks for the primary, which anonymous callers need this scope for.
      SHOPGRAPH_ANONYMOUS_SCOPES: 'catalog:read,primary:read',
    });
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('ShopGraph is serving') && resolve());
      child!.on('exit', (code) => reject(new Error(`start exited with ${code}`)));
    });

    // Hold a lock that keeps one request waiting in the database, then ask the server to stop.
    const primary = postgres(cluster.cluster.node(cluster.cluster.primaryName).url, { max: 2, onnotice: () => {} });
    const blocker = await primary.reserve();
    await blocker`begin`;
    await blocker`lock table warehouses in access exclusive mode`;
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-read-from': 'primary' },
      body: JSON.stringify({ query: '{ warehouses { code } }' }),
    });
    await eventually(async () => {
      const [row] =
        await primary`select count(*)::int as n from pg_stat_activity where application_name = 'shopgraph' and wait_event_type = 'Lock'`;
      expect(row!.n).toBe(1);
    });
    child.kill('SIGTERM');
    await eventually(async () => {
      await expect(
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
      ).rejects.toThrow();
    });

    await blocker`rollback`;
    blocker.release();
    await primary.end();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { warehouses: unknown[] } }).data.warehouses).toHaveLength(4);
    expect(await exited).toBe(0);
  });
});

describe('/readyz under failures', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startGraphQLServer({ cluster: cluster.manager, port: 0, host: '127.0.0.1', admin: { port: 0, host: '127.0.0.1' } });
  });
  afterAll(() => server?.stop());
  /** /readyz of the admin listener (with details), or of the API's port (the status line). */
  const readyz = async (listener: 'admin' | 'api') => {
    const response = await fetch(listener === 'admin' ? `${server.adminUrl}/readyz` : server.url.replace(/graphql$/, 'readyz'));
    return { status: response.status, body: (await response.json()) as { status: string; primary?: string | null } };
  };

  it('says read-only (still 200) while there is no primary but replicas serve', async () => {
    await cluster.cluster.killNode(cluster.cluster.primaryName);
    await eventually(async () =>
      expect(await readyz('admin')).toMatchObject({ status: 200, body: { status: 'read-only', primary: null } }),
    );
    expect(await readyz('api')).toEqual({ status: 200, body: { status: 'read-only' } });
  });

  it('says not-ready with 503 when no node answers, on both listeners', async () => {
    for (const node of cluster.cluster.nodes) await cluster.cluster.killNode(node.name);
    await eventually(async () => expect(await readyz('admin')).toMatchObject({ status: 503, body: { status: 'not-ready' } }));
    expect(await readyz('api')).toEqual({ status: 503, body: { status: 'not-ready' } });
  });
});
