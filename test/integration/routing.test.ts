import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager, type ClusterNode, type Route } from '../../src/cluster/index.js';
import { connectShared, sharedNodes } from '../support/cluster.js';

/** Asks the database itself which server answered, through the route under test. */
async function servingPort(route: Route): Promise<{ port: number; inRecovery: boolean; node: ClusterNode }> {
  return route.run(async (node) => {
    const [row] = await node.sql<
      { port: number; inRecovery: boolean }[]
    >`select inet_server_port() as port, pg_is_in_recovery() as "inRecovery"`;
    return { ...row!, node };
  });
}

describe('routing through the connection manager', () => {
  let manager: ConnectionManager;
  const portOf = (name: string) => sharedNodes().find((node) => node.name === name)!.port;

  beforeAll(async () => {
    manager = await connectShared();
  });
  afterAll(() => manager.close());

  it('discovers the roles from the servers', () => {
    expect(manager.status().nodes.map((node) => [node.name, node.role])).toEqual([
      ['pg1', 'primary'],
      ['pg2', 'replica'],
      ['pg3', 'replica'],
    ]);
  });

  it('sends a read to a replica', async () => {
    const served = await servingPort(manager.route('read'));
    expect(served.inRecovery).toBe(true);
    expect([portOf('pg2'), portOf('pg3')]).toContain(served.port);
  });

  it('sends a write to the primary', async () => {
    const served = await servingPort(manager.route('write'));
    expect(served).toMatchObject({ inRecovery: false, port: portOf('pg1') });
  });

  it('keeps every statement of one route on one node', async () => {
    const route = manager.route('read');
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) ports.add((await servingPort(route)).port);
    expect(ports.size).toBe(1);
    expect(route.servedBy?.name).toMatch(/^pg[23]$/);
  });

  it('spreads concurrent reads over both replicas', async () => {
    const reads: Promise<number>[] = [];
    for (let i = 0; i < 12; i++) {
      reads.push(
        manager.route('read').run(async (node) => {
          const [row] = await node.sql<{ port: number }[]>`select inet_server_port() as port, pg_sleep(0.05)`;
          return row!.port;
        }),
      );
      // Requests arrive one event-loop turn apart, as over HTTP.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const served = await Promise.all(reads);
    expect(new Set(served)).toEqual(new Set([portOf('pg2'), portOf('pg3')]));
  });

  it('finds the primary whatever order the nodes are configured in', async () => {
    const reversed = await ConnectionManager.start({ nodes: [...sharedNodes()].reverse(), poolSize: 1 });
    try {
      expect((await servingPort(reversed.route('write'))).port).toBe(portOf('pg1'));
    } finally {
      await reversed.close();
    }
  });
});
