import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ConnectionManager } from '../../src/cluster/index.js';
import { migrateDatabase, seedDatabase } from '../../src/db/index.js';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { SHARED_SEED } from './seed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The nodes of the cluster shared by the integration tests. */
    sharedCluster: { name: string; url: string; port: number }[];
  }
}

/**
 * Starts one embedded cluster (a primary and two replicas) for the whole integration run,
 * migrated and seeded, and removes it afterwards, also when tests fail.
 */
export default async function setup(project: TestProject) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-test-'));
  const cluster = await EmbeddedCluster.open({ dataDir, basePort: 'auto', durable: false });
  try {
    await cluster.up();
    const manager = await ConnectionManager.start({ nodes: cluster.nodes, poolSize: 2 });
    try {
      const primary = manager.choosePrimary();
      await migrateDatabase(primary);
      await seedDatabase(primary, SHARED_SEED);
    } finally {
      await manager.close();
    }
  } catch (error) {
    await cluster.down().catch(() => {});
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  project.provide(
    'sharedCluster',
    cluster.nodes.map(({ name, url, port }) => ({ name, url, port })),
  );
  return async () => {
    await cluster.down();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
}
