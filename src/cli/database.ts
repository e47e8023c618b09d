import { ConnectionManager } from '../cluster/index.js';
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

export async function openDatabase(config: Config, logger: Logger, { startEmbedded = true } = {}): Promise<CommandDatabase> {
  let embedded: EmbeddedCluster | undefined;
  let started: string[] = [];
  let endpoints = config.databaseNodes;
  if (endpoints.length === 0) {
    embedded = await EmbeddedCluster.open({
      dataDir: config.embedded.dataDir,
      basePort: config.embedded.basePort,
      replicas: config.embedded.replicas,
      create: startEmbedded,
      onProgress: (message) => logger.info(`embedded cluster: ${message}`),
    });
    if (startEmbedded) started = await embedded.up();
    endpoints = embedded.nodes.map(({ name, url }) => ({ name, url }));
  }
  const manager = await ConnectionManager.start({ nodes: endpoints, poolSize: config.poolSize, ...config.routing, logger });
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
