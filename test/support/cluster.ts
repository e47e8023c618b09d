import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { ConnectionManager, type ConnectionManagerOptions } from '../../src/cluster/index.js';
import { migrateDatabase, seedDatabase } from '../../src/db/index.js';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { SHARED_SEED } from './seed.js';

/** The nodes of the run's shared cluster (see global-setup.ts). Never break these. */
export function sharedNodes() {
  return inject('sharedCluster');
}

/**
 * Managers in tests probe every 200 ms and report a new cluster mode at once (no hold), so
 * a test sees each mode as soon as the probes do.
 */
const TEST_MANAGER = { poolSize: 4, probeIntervalMs: 200, modeHoldMs: 0 };

/** A connection manager on the shared cluster. The caller closes it. */
export function connectShared(options: Partial<ConnectionManagerOptions> = {}): Promise<ConnectionManager> {
  return ConnectionManager.start({ nodes: sharedNodes(), ...TEST_MANAGER, ...options });
}

export interface PrivateCluster {
  cluster: EmbeddedCluster;
  manager: ConnectionManager;
  /** Stops the manager and every node and deletes the data. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A cluster of its own for a test that stops nodes, pauses replay or otherwise breaks
 * things the other test files must not see. Migrated and seeded like the shared one.
 */
export async function startPrivateCluster(
  options: { replicas?: number; manager?: Partial<ConnectionManagerOptions> } = {},
): Promise<PrivateCluster> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-private-'));
  const cluster = await EmbeddedCluster.open({ dataDir, basePort: 'auto', durable: false, replicas: options.replicas ?? 2 });
  let manager: ConnectionManager | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await manager?.close();
    await cluster.down().catch(() => {});
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    await cluster.up();
    manager = await ConnectionManager.start({ nodes: cluster.nodes, ...TEST_MANAGER, ...options.manager });
    await migrateDatabase(manager.choosePrimary());
    await seedDatabase(manager.choosePrimary(), SHARED_SEED);
    return { cluster, manager, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
