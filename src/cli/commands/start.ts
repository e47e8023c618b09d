import type { Config } from '../../config.js';
import { migrateDatabase, seedDatabase } from '../../db/index.js';
import { ClusterKeeper } from '../../embedded/index.js';
import { safeErrorFields } from '../../errors.js';
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
  // The SDK is loaded only when traces are wanted; otherwise the OpenTelemetry API stays a no-op.
  const tracing = config.tracing && (await import('../../tracing/sdk.js')).startTracing(config.tracing);
  if (config.tracing) logger.info(`exporting traces over OTLP as service ${config.tracing.serviceName}`);
  const database = await openDatabase(config, logger, { needPrimary: true });
  let scheduler: BackupScheduler | undefined;
  // The embedded cluster's nodes follow its newest primary, also after a promotion by hand.
  const keeper =
    database.embedded &&
    ClusterKeeper.start(database.embedded, {
      onError: (error) => logger.warn('embedded cluster: could not bring the nodes in line; trying again', safeErrorFields(error)),
    });
  try {
    const primary = database.manager.choosePrimary();
    logger.info('migrating the database schema');
    await migrateDatabase(primary);
    if (database.embedded) {
      const outcome = await seedDatabase(primary, {
        scale: config.embedded.seedScale,
        seed: 42,
        onProgress: (message) => logger.info(`demo data: ${message}`),
      });
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
      responseCacheBytes: config.queries.responseCacheBytes,
      introspection: config.server.introspection,
      tls: config.server.tls,
      operationsFile: config.server.operationsFile,
      registeredOperationsOnly: config.server.registeredOperationsOnly,
      shutdownGraceMs: config.shutdownGraceMs,
      backups: () => scheduler?.health(),
      corsOrigins: config.edge.corsOrigins,
      trustedProxies: config.edge.trustedProxies,
      admin: config.edge.admin,
      redisUrl: config.instances.redisUrl,
    }).catch((error: unknown) => {
      const { code, port } = error as NodeJS.ErrnoException & { port?: number };
      if (code === 'EADDRINUSE') {
        const variable = config.edge.admin && port === config.edge.admin.port ? 'SHOPGRAPH_ADMIN_PORT' : 'PORT';
        throw new Error(`${variable} ${port} is already in use; stop the other program or set ${variable} to a free port.`);
      }
      throw error;
    });
    const roles = database.manager
      .status()
      .nodes.map((node) => `${node.name}=${node.role}`)
      .join(', ');
    logger.info(`ShopGraph is serving ${server.url}`, { nodes: roles });
    if (server.adminUrl) logger.info(`metrics and readiness details on ${server.adminUrl}/metrics and ${server.adminUrl}/readyz`);
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
    await keeper?.stop();
    await database.close();
    await tracing?.shutdown();
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
