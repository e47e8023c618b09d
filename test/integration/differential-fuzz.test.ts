import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeMismatch, runDifferentialFuzz } from '../fuzz/differential.js';
import { startFuzzServers, type FuzzServers } from '../fuzz/servers.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';

/**
 * Differential fuzzing of the read path (test/fuzz): random valid operations, each answered
 * by the compiled path, the fast lane and the resolvers alone on the same data, must get the
 * same answer and an actual cost equal to an independent count. `npm run fuzz` runs more.
 */
let cluster: PrivateCluster;
let servers: FuzzServers;

beforeAll(async () => {
  cluster = await startPrivateCluster({ replicas: 0 });
  servers = await startFuzzServers(cluster.manager);
});
afterAll(async () => {
  await servers?.stop();
  await cluster?.stop();
});

describe('differential fuzzing', () => {
  it('finds 2,000 operations from a fixed seed answered alike on every path, each costed as counted', { timeout: 600_000 }, async () => {
    const report = await runDifferentialFuzz({ ...servers, count: 2000, seed: 12 });
    const shown = report.examples.slice(0, 5).map(describeMismatch);
    expect({ mismatches: report.mismatches, costMismatches: report.costMismatches, shown }).toEqual({
      mismatches: 0,
      costMismatches: 0,
      shown: [],
    });
    expect(report.operations).toBe(2000);
  });
});
