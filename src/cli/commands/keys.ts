import type { Config } from '../../config.js';
import { ApiKeyStore, migrateDatabase } from '../../db/index.js';
import { generateApiKey, parseScopes, SCOPES } from '../../graphql/auth/index.js';
import type { Logger } from '../../log.js';
import { numberOption, UsageError, type ParsedArgs } from '../args.js';
import { openDatabase } from '../database.js';

/** Cost points restored per second to a key's bucket when `--rate` is not given. */
const DEFAULT_KEY_RATE = 100;

/** `shopgraph keys create --name N --scopes a,b [--rate R] [--json] | list [--json] | revoke ID`. */
export async function keysCommand(config: Config, logger: Logger, args: ParsedArgs): Promise<void> {
  const action = args.positionals[1];
  const json = args.options.has('json');
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(`keys takes create, list or revoke, not ${action ?? 'nothing'}.`);
  }
  const name = args.options.get('name');
  const scopesText = args.options.get('scopes');
  if (action === 'create' && (typeof name !== 'string' || !/^.{1,100}$/.test(name))) {
    throw new UsageError('keys create needs --name NAME (1 to 100 characters): who the key is for.');
  }
  if (action === 'create' && typeof scopesText !== 'string')
    throw new UsageError(`keys create needs --scopes, some of: ${SCOPES.join(', ')}.`);
  const database = await openDatabase(config, logger, { needPrimary: true });
  try {
    await migrateDatabase(database.manager.choosePrimary());
    const store = (intent: 'read' | 'write') => new ApiKeyStore(database.manager.route(intent));
    switch (action) {
      case 'create': {
        const { scopes, unknown } = parseScopes(scopesText as string);
        if (unknown.length > 0 || scopes.length === 0)
          throw new UsageError(`--scopes takes some of ${SCOPES.join(', ')}; not ${unknown.join(', ') || 'nothing'}.`);
        const rate = numberOption(args, 'rate', DEFAULT_KEY_RATE, { min: 1, max: 1_000_000 });
        const { id, key, secretHash } = generateApiKey();
        await store('write').insert({ id, name: name as string, secretHash, scopes, ratePerSecond: Math.round(rate) });
        if (json) process.stdout.write(`${JSON.stringify({ key, id, name, scopes, ratePerSecond: Math.round(rate) })}\n`);
        else
          process.stdout.write(
            `${key}\n\nKey ${id} for ${name as string}, scopes ${scopes.join(', ')}, ${Math.round(rate)} points/s.\nThis is the only time the key is shown; store it now.\n`,
          );
        return;
      }
      case 'list': {
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
        if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const row of rows)
            process.stdout.write(
              `${row.id}  ${row.name.padEnd(24)} ${row.scopes.join(',').padEnd(40)} ${String(row.ratePerSecond).padStart(6)}/s  ${row.revokedAt ? `revoked ${row.revokedAt}` : 'active'}\n`,
            );
        return;
      }
      case 'revoke': {
        const id = args.positionals[2];
        if (!id) throw new UsageError('keys revoke takes the key id, as keys list shows it.');
        if (!(await store('write').revoke(id))) throw new UsageError(`No active key has the id ${id}.`);
        logger.info(`revoked key ${id}; servers stop accepting it within 10 s (their key cache)`);
        return;
      }
    }
  } finally {
    await database.close();
  }
}
