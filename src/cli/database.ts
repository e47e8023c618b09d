import { ConnectionManager, timelineFile } from '../cluster/index.js';
import type { Config } from '../config.js';
import { EmbeddedCluster } from '../embedded/index.js';
import type { Logger } from '../log.js';

/** The database a command works on: the configured cluster, or the embedded one. */
export interface CommandDatabase {
  manager: ConnectionManager;
  /** The embedded cluster, when DATABASE_URLS is not set. */
  embedded: EmbeddedCluster | undefined;
  /** Closes the pools and stops the embedded nodes this command started. */
  close(): Promise<void>;
}

/**
 * Connects to the cluster. With `needPrimary`, waits (saying so, within SHOPGRAPH_STARTUP_WAIT_MS)
 * until a primary answers, since a cluster that is still starting is not an error yet.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  { startEmbedded = true, needPrimary = false } = {},
): Promise<CommandDatabase> {
  if (config.ignoredDatabaseSettings.length > 0) {
    logger.warn('database settings ignored: ShopGraph chooses the node for every statement itself, from the node URLs', {
      ignored: config.ignoredDatabaseSettings,
    });
  }
  let embedded: EmbeddedCluster | undefined;
  let started: string[] = [];
  let endpoints = config.databaseNodes;
  if (endpoints.length === 0) {
    embedded = await EmbeddedCluster.open({
      dataDir: config.embedded.dataDir,
      basePort: config.embedded.basePort,
      replicas: config.embedded.replicas,
      create: startEmbedded,
      requireSynchronousStandby: config.routing.requireSynchronousStandby,
      onProgress: (message) => logger.info(`embedded cluster: ${message}`),
    });
    if (startEmbedded) started = await embedded.up();
    endpoints = embedded.nodes.map(({ name, url }) => ({ name, url }));
  }
  const { timelineFile: file, ...routing } = config.routing;
  const manager = await ConnectionManager.start({
    nodes: endpoints,
    poolSize: config.poolSize,
    ...routing,
    timelineStore: file === undefined ? undefined : timelineFile(file),
    logger,
  });
  if (needPrimary) await waitForPrimary(manager, logger, config.startupWaitMs);
  return {
    manager,
    embedded,
    async close() {
      await manager.close();
      if (embedded && started.length > 0) {
        logger.info('embedded cluster: stopping the nodes this command started');
        for (const name of [...started].reverse()) await embedded.stopNode(name);
      }
    },
  };
}

async function waitForPrimary(manager: ConnectionManager, logger: Logger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let nextMessage = 0;
  while (!manager.primary) {
    if (Date.now() >= deadline) {
      await manager.close();
      throw new Error(
        `No primary answered within ${timeoutMs / 1000} s (SHOPGRAPH_STARTUP_WAIT_MS); check DATABASE_URLS and that the cluster is running.`,
      );
    }
    if (Date.now() >= nextMessage) {
      const answering = manager.status().nodes.filter((node) => node.reachable).length;
      logger.warn(`waiting for the database: no primary yet, ${answering} of ${manager.nodes.length} nodes answer`);
      nextMessage = Date.now() + 5000;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await manager.probeAll();
  }
}
