import type { Config } from '../../config.js';
import { migrateDatabase, seedDatabase } from '../../db/index.js';
import type { Logger } from '../../log.js';
import { flag, numberOption, type Command, type CommandArgs } from '../args.js';
import { openDatabase } from '../database.js';

/** `shopgraph seed [--scale N] [--seed N] [--reset]`: loads deterministic demo data. */
export async function seedCommand(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const scale = numberOption(args, 'scale', config.embedded.seedScale, { min: 0.001, max: 100 });
  const seed = numberOption(args, 'seed', 42, { min: 0, max: 2 ** 32 - 1 });
  const database = await openDatabase(config, logger, { needPrimary: true });
  try {
    const primary = database.manager.choosePrimary();
    await migrateDatabase(primary);
    const outcome = await seedDatabase(primary, { scale, seed, reset: flag(args, 'reset') });
    if (outcome.loaded) logger.info('loaded demo data', { scale, seed, ...outcome.counts });
    else logger.info('the database already holds data; nothing loaded (pass --reset to replace it)');
  } finally {
    await database.close();
  }
}

export const seedCommandSpec: Command = {
  words: ['seed'],
  options: {
    scale: { type: 'string', value: 'N', description: 'demo data size (1 = 10,000 products; default SHOPGRAPH_SEED_SCALE)' },
    seed: { type: 'string', value: 'N', description: 'random seed: same scale and seed, same rows (default 42)' },
    reset: { type: 'boolean', description: 'replace data that is already there' },
  },
  summary: 'load deterministic demo data (scale 1 = 10,000 products)',
  run: seedCommand,
};
