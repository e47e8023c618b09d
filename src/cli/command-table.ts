import type { Command } from './args.js';
import { backupCommands } from './commands/backup.js';
import { clusterCommands } from './commands/cluster.js';
import { keysCommands } from './commands/keys.js';
import { migrateCommandSpec } from './commands/migrate.js';
import { seedCommandSpec } from './commands/seed.js';
import { startCommand } from './commands/start.js';

/** Every command of `shopgraph`, in the order its help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    words: ['start'],
    summary: 'serve the GraphQL API (starts the embedded cluster without DATABASE_URLS)',
    run: (config, logger) => startCommand(config, logger),
  },
  migrateCommandSpec,
  seedCommandSpec,
  ...clusterCommands,
  ...keysCommands,
  ...backupCommands,
];
