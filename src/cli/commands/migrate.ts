import type { Config } from '../../config.js';
import { migrateDatabase } from '../../db/index.js';
import type { Logger } from '../../log.js';
import type { Command } from '../args.js';
import { openDatabase } from '../database.js';

/** `shopgraph migrate`: applies the migrations in drizzle/ to the primary. */
export async function migrateCommand(config: Config, logger: Logger): Promise<void> {
  const database = await openDatabase(config, logger, { needPrimary: true });
  try {
    await migrateDatabase(database.manager.choosePrimary());
    logger.info('migrations applied');
  } finally {
    await database.close();
  }
}

export const migrateCommandSpec: Command = {
  words: ['migrate'],
  summary: 'apply the database migrations to the primary',
  run: migrateCommand,
};
