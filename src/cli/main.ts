#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js';
import { safeErrorFields } from '../errors.js';
import { createLogger } from '../log.js';
import { parseArgs, UsageError } from './args.js';
import { backupCommand } from './commands/backup.js';
import { clusterCommand } from './commands/cluster.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { seedCommand } from './commands/seed.js';
import { startCommand } from './commands/start.js';

const USAGE = `Usage: shopgraph <command>

Commands:
  start                     serve the GraphQL API (starts the embedded cluster without DATABASE_URLS)
  migrate                   apply the database migrations to the primary
  seed [--scale N] [--seed N] [--reset]
                            load deterministic demo data (scale 1 = 10,000 products)
  cluster up|down           start or stop the embedded cluster
  cluster status [--json]   the cluster's mode and every node's role, health and replication lag
  cluster failover          promote the freshest replica of the embedded cluster
  cluster stop|start NODE   stop or start one embedded node (a former primary comes back as a replica)
  keys create --name N --scopes a,b [--rate R] [--json]
                            create a partner API key (printed once; only its hash is stored)
  keys list [--json]        every key with its scopes and rate; keys revoke ID revokes one
  backup create [--json]    a consistent logical backup (from a replica), to SHOPGRAPH_BACKUP_TARGET
  backup list [--json]      finished backups, oldest first
  backup verify ID          check a backup's files against its manifest
  backup restore ID --to URL [--force]
                            restore into an empty database, verified table by table
  backup prune [--keep N] [--max-age-days D]
                            delete old backups (keeps the newest N)

Configuration comes from the environment; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const command = args.positionals[0];
  if (!command || command === 'help' || args.options.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  // Machine-readable output owns stdout; progress goes to stderr then.
  const logger = createLogger({ level: config.logLevel, to: args.options.has('json') ? 'stderr' : 'stdout' });
  switch (command) {
    case 'start':
      await startCommand(config, logger);
      return 0;
    case 'migrate':
      await migrateCommand(config, logger);
      return 0;
    case 'seed':
      await seedCommand(config, logger, args);
      return 0;
    case 'cluster':
      await clusterCommand(config, logger, args);
      return 0;
    case 'keys':
      await keysCommand(config, logger, args);
      return 0;
    case 'backup':
      await backupCommand(config, logger, args);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}".\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`shopgraph: configuration error: ${error.message}\n`);
    else if (error instanceof UsageError) process.stderr.write(`shopgraph: ${error.message}\n`);
    else process.stderr.write(`shopgraph: ${describeFailure(error)}\n`);
    process.exit(error instanceof ConfigError || error instanceof UsageError ? 2 : 1);
  },
);

/**
 * Our own errors say what to do; database and network errors are reduced to their codes,
 * since their text can carry host names and SQL.
 */
function describeFailure(error: unknown): string {
  const fields = safeErrorFields(error);
  if (fields.sqlstate)
    return `the database refused an operation (SQLSTATE ${fields.sqlstate}${fields.constraint ? `, ${fields.constraint}` : ''})`;
  if (fields.cause) return `a connection failed (${fields.cause}); check DATABASE_URLS and that the database is running`;
  return error instanceof Error ? error.message : String(error);
}
