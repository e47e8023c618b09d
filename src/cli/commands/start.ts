import type { Config } from '../../config.js';
import { migrateDatabase, seedDatabase } from '../../db/index.js';
import { startGraphQLServer } from '../../graphql/index.js';
import type { Logger } from '../../log.js';
import { BackupScheduler } from '../../db/backup/index.js';
import { backupTarget } from '../backup-target.js';
import { openDatabase } from '../database.js';

/**
 * `shopgraph start`: connects to the cluster (starting the embedded one when DATABASE_URLS
 * is not set), migrates, seeds demo data into an empty embedded cluster, and serves the API
 * until SIGINT or SIGTERM.
 */
export async function startCommand(config: Config, logger: Logger): Promise<void> {
  // Listen first: a signal during start-up must still shut down in order, not kill us midway.
  const shutdownRequested = shutdownSignal(logger, config.shutdownGraceMs);
  const database = await openDatabase(config, logger, { needPrimary: true });
  let scheduler: BackupScheduler | undefined;
  try {
    const primary = database.manager.choosePrimary();
    await migrateDatabase(primary);
    if (database.embedded) {
      const outcome = await seedDatabase(primary, { scale: config.embedded.seedScale, seed: 42 });
      if (outcome.loaded) logger.info('loaded demo data', outcome.counts);
    }
    const server = await startGraphQLServer({
      cluster: database.manager,
      port: config.port,
      host: config.host,
      logger,
      auth: config.auth,
      limits: config.server.limits,
      requestTimeoutMs: config.server.requestTimeoutMs,
      maxBodyBytes: config.server.maxBodyBytes,
      maxQueryBytes: config.queries.maxQueryBytes,
      queryCacheBytes: config.queries.cacheBytes,
      introspection: config.server.introspection,
      tls: config.server.tls,
      operationsFile: config.server.operationsFile,
      registeredOperationsOnly: config.server.registeredOperationsOnly,
      shutdownGraceMs: config.shutdownGraceMs,
      backups: () => scheduler?.health(),
    }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`PORT ${config.port} is already in use on ${config.host}; stop the other program or set PORT to a free port.`);
      }
      throw error;
    });
    const roles = database.manager
      .status()
      .nodes.map((node) => `${node.name}=${node.role}`)
      .join(', ');
    logger.info(`ShopGraph is serving ${server.url}`, { nodes: roles });
    if (config.backup.intervalMinutes !== undefined) {
      const target = backupTarget(config.backup);
      scheduler = new BackupScheduler(database.manager, target, {
        intervalMs: config.backup.intervalMinutes * 60_000,
        keep: config.backup.keep,
        maxAgeDays: config.backup.maxAgeDays,
        logger,
      });
      scheduler.start();
      logger.info(`backups every ${config.backup.intervalMinutes} min to ${target.description}`);
    }
    await shutdownRequested;
    // In order: stop taking requests and let those in flight finish, then the backups, then the pools.
    await server.stop();
    await scheduler?.stop();
    logger.info('stopped serving');
  } finally {
    await database.close();
  }
}

/** Time beyond the grace period that closing pools and the embedded cluster may take. */
const SHUTDOWN_MARGIN_MS = 20_000;

function shutdownSignal(logger: Logger, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      // Ctrl-C reaches npm and this process at once, and npm forwards it: expect it twice.
      if (stopping) return;
      stopping = true;
      logger.info(`${signal} received: finishing in-flight requests and stopping`);
      setTimeout(() => {
        logger.error(`shutdown took longer than ${(graceMs + SHUTDOWN_MARGIN_MS) / 1000} s; exiting anyway`);
        process.exit(1);
      }, graceMs + SHUTDOWN_MARGIN_MS).unref();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
