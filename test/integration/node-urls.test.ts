import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNode, ConnectionManager } from '../../src/cluster/index.js';
import { loadConfig } from '../../src/config.js';
import { sharedNodes } from '../support/cluster.js';

/**
 * Node URLs as operators copy them from a libpq connection string, with
 * `target_session_attrs=read-write`, and the same in the environment: ShopGraph chooses the
 * node itself, so neither may turn a replica's connections away.
 */
const withReadWrite = (url: string) => `${url}${url.includes('?') ? '&' : '?'}target_session_attrs=read-write&load_balance_hosts=random`;

describe('node URLs that carry libpq settings choosing a node', () => {
  let manager: ConnectionManager;
  let config: ReturnType<typeof loadConfig>;
  const environmentBefore = process.env.PGTARGETSESSIONATTRS;

  beforeAll(async () => {
    process.env.PGTARGETSESSIONATTRS = 'read-write';
    config = loadConfig({
      DATABASE_URLS: sharedNodes()
        .map((node) => `${withReadWrite(node.url)}#${node.name}`)
        .join(','),
      PGTARGETSESSIONATTRS: 'read-write',
    });
    manager = await ConnectionManager.start({ nodes: config.databaseNodes, poolSize: 2, probeIntervalMs: 200 });
  });
  afterAll(async () => {
    await manager?.close();
    if (environmentBefore === undefined) delete process.env.PGTARGETSESSIONATTRS;
    else process.env.PGTARGETSESSIONATTRS = environmentBefore;
  });

  it('leaves the settings out of every node URL and lists them as ignored, without a URL', () => {
    for (const node of config.databaseNodes) expect(node.url).not.toMatch(/target_session_attrs|load_balance_hosts/);
    expect(config.ignoredDatabaseSettings).toEqual([
      'target_session_attrs=read-write in DATABASE_URLS',
      'load_balance_hosts=random in DATABASE_URLS',
      'PGTARGETSESSIONATTRS=read-write',
    ]);
  });

  it('still sends reads to replicas', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await manager.route('read').run(async (node) => {
        const [row] = await node.sql<{ inRecovery: boolean }[]>`select pg_is_in_recovery() as "inRecovery"`;
        expect(row!.inRecovery).toBe(true);
        served.add(node.name);
      });
    }
    expect([...served].every((name) => name === 'pg2' || name === 'pg3')).toBe(true);
    expect(manager.status().nodes.filter((node) => node.role === 'replica' && node.ineligible === null)).toHaveLength(2);
  });

  it('connects to a replica even through a URL that asks for read-write', async () => {
    const replica = sharedNodes().find((node) => node.name === 'pg2')!;
    const sql = connectNode(`${replica.url}?target_session_attrs=read-write`, { max: 1 });
    try {
      const [row] = await sql<{ inRecovery: boolean }[]>`select pg_is_in_recovery() as "inRecovery"`;
      expect(row!.inRecovery).toBe(true);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
