import type { Config } from '../../config.js';
import { ApiKeyStore, migrateDatabase } from '../../db/index.js';
import { generateApiKey, parseScopes, SCOPES } from '../../graphql/auth/index.js';
import type { Logger } from '../../log.js';
import { flag, numberOption, stringOption, UsageError, type Command, type CommandArgs } from '../args.js';
import { openDatabase } from '../database.js';

/** Cost points restored per second to a key's bucket when `--rate` is not given. */
const DEFAULT_KEY_RATE = 100;

/** `shopgraph keys create --name N --scopes a,b [--rate R] [--json] | list [--json] | revoke ID`. */
export const keysCommands: Command[] = [
  {
    words: ['keys', 'create'],
    options: {
      name: { type: 'string', value: 'NAME', required: true, description: 'who the key is for (1 to 100 characters)' },
      scopes: { type: 'string', value: 'a,b', required: true, description: `what it may do, some of: ${SCOPES.join(', ')}` },
      rate: { type: 'string', value: 'R', description: `cost points restored per second to its bucket (default ${DEFAULT_KEY_RATE})` },
      json: { type: 'boolean', description: 'print the key and its record as JSON' },
    },
    summary: 'create a partner API key (printed once; only its hash is stored)',
    run: createKey,
  },
  {
    words: ['keys', 'list'],
    options: { json: { type: 'boolean', description: 'print the keys as JSON' } },
    summary: 'every key with its scopes and rate (never the secret)',
    run: listKeys,
  },
  {
    words: ['keys', 'revoke'],
    arguments: [{ name: 'ID', description: 'the key id, as keys list shows it' }],
    summary: 'revoke a key; every server refuses it within a second',
    run: revokeKey,
  },
];

async function createKey(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const name = stringOption(args, 'name')!;
  if (!/^.{1,100}$/.test(name)) throw new UsageError('keys create needs --name NAME (1 to 100 characters): who the key is for.');
  const { scopes, unknown } = parseScopes(stringOption(args, 'scopes')!);
  if (unknown.length > 0 || scopes.length === 0)
    throw new UsageError(`--scopes takes some of ${SCOPES.join(', ')}; not ${unknown.join(', ') || 'nothing'}.`);
  const rate = numberOption(args, 'rate', DEFAULT_KEY_RATE, { min: 1, max: 1_000_000 });
  await withKeyStore(config, logger, async (store) => {
    const { id, key, secretHash } = generateApiKey();
    await store('write').insert({ id, name, secretHash, scopes, ratePerSecond: Math.round(rate) });
    if (flag(args, 'json')) process.stdout.write(`${JSON.stringify({ key, id, name, scopes, ratePerSecond: Math.round(rate) })}\n`);
    else
      process.stdout.write(
        `${key}\n\nKey ${id} for ${name}, scopes ${scopes.join(', ')}, ${Math.round(rate)} points/s.\nThis is the only time the key is shown; store it now.\n`,
      );
  });
}

async function listKeys(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  await withKeyStore(config, logger, async (store) => {
    // From the primary: a key created a moment ago must be in the list.
    const keys = await store('write').list();
    const rows = keys.map((key) => ({
      id: key.id,
      name: key.name,
      scopes: key.scopes,
      ratePerSecond: key.ratePerSecond,
      createdAt: key.createdAt.toISOString(),
      revokedAt: key.revokedAt?.toISOString() ?? null,
    }));
    if (flag(args, 'json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else
      for (const row of rows)
        process.stdout.write(
          `${row.id}  ${row.name.padEnd(24)} ${row.scopes.join(',').padEnd(40)} ${String(row.ratePerSecond).padStart(6)}/s  ${row.revokedAt ? `revoked ${row.revokedAt}` : 'active'}\n`,
        );
  });
}

async function revokeKey(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const id = args.positionals[0]!;
  await withKeyStore(config, logger, async (store) => {
    if (!(await store('write').revoke(id))) throw new UsageError(`No active key has the id ${id}.`);
    logger.info(`revoked key ${id}; servers stop accepting it within a second (10 s for a server that cannot listen for revocations)`);
  });
}

async function withKeyStore(
  config: Config,
  logger: Logger,
  work: (store: (intent: 'read' | 'write') => ApiKeyStore) => Promise<void>,
): Promise<void> {
  const database = await openDatabase(config, logger, { needPrimary: true });
  try {
    await migrateDatabase(database.manager.choosePrimary());
    await work((intent) => new ApiKeyStore(database.manager.route(intent)));
  } finally {
    await database.close();
  }
}
