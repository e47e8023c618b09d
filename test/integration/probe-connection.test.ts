import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/cluster/index.js';
import { sharedNodes } from '../support/cluster.js';

/**
 * The probe connection is opened again now and then (to look behind a URL again) while probes
 * may run back to back: every change the feed hears has the replicas probed again, and a
 * write waiting for the primary looks every 25 ms.
 */
let manager: ConnectionManager;

beforeAll(async () => {
  manager = await ConnectionManager.start({
    nodes: sharedNodes().map(({ name, url }) => ({ name, url })),
    poolSize: 1,
    probeIntervalMs: 50,
    // A new probe connection every 20 ms: hundreds of swaps in the test's two seconds.
    probeReconnectMs: 20,
    modeHoldMs: 0,
  });
});
afterAll(() => manager?.close());

describe('a probe connection opened again while probes run back to back', () => {
  it('costs no probe: every replica stays up throughout', async () => {
    const states = new Set<string>();
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      manager.probeReplicasAgain();
      for (const node of manager.status().nodes) if (node.role === 'replica') states.add(node.state);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect([...states]).toEqual(['up']);
  });
});
