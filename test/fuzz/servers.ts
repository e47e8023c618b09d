import type { ConnectionManager } from '../../src/cluster/index.js';
import { startTestServer } from '../support/server.js';
import { loadFuzzData, type FuzzData } from './data.js';
import type { Endpoint } from './differential.js';

export interface FuzzServers {
  compiled: Endpoint;
  reference: Endpoint;
  data: FuzzData;
  stop(): Promise<void>;
}

/**
 * The two servers a differential run compares, on one cluster that nothing writes to while
 * it runs: one with compiled reads and the fast lane, one with the resolvers alone. Each has
 * an admin key and a catalog:read key, with rates no run exhausts.
 */
export async function startFuzzServers(manager: ConnectionManager): Promise<FuzzServers> {
  const compiled = await startTestServer(manager, { compiledReads: true });
  const reference = await startTestServer(manager, { compiledReads: false });
  const keys = { admin: await compiled.createKey(['admin'], 1e9), catalog: await compiled.createKey(['catalog:read'], 1e9) };
  const data = await loadFuzzData((query, variables) => reference.request(query, variables, { authorization: `Bearer ${keys.admin}` }));
  return {
    compiled: { url: compiled.url, keys },
    reference: { url: reference.url, keys },
    data,
    stop: async () => {
      await compiled.stop();
      await reference.stop();
    },
  };
}
