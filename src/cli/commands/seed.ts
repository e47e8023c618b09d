import type { Config } from '../../config.js';
import { migrateDatabase, seedDatabase } from '../../db/index.js';
import type { Logger } from '../../log.js';
import { numberOption, type ParsedArgs } from '../args.js';
import { openDatabase } from '../database.js';

/** `shopgraph seed [--scale N] [--seed N] [--reset]`: loads deterministic demo data. */
export async function seedCommand(config: Config, logger: Logger, args: ParsedArgs): Promise<void> {
  const scale = numberOption(args, 'scale', config.embedded.seedScale, { min: 0.001, max: 100 });
  const seed = numberOption(args, 'seed', 42, { min: 0, max: 2 ** 32 - 1 });
  const database = await openDatabase(config, logger, { needPrimary: true });
  try {
    const primary = database.manager.choosePrimary();
    await migrateDatabase(primary);
    const outcome = await seedDatabase(primary, { scale, seed, reset: args.options.has('reset') });
    if (outcome.loaded) logger.info('loaded demo data', { scale, seed, ...outcome.counts });
    else logger.info('the database already holds data; nothing loaded (pass --reset to replace it)');
  } finally {
    await database.close();
  }
}
