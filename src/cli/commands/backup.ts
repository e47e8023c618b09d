import type { Config } from '../../config.js';
import { createBackup, pruneBackups, restoreBackup, verifyBackup, type BackupManifest } from '../../db/backup/index.js';
import type { Logger } from '../../log.js';
import { flag, numberOption, stringOption, type Command, type CommandArgs } from '../args.js';
import { backupTarget } from '../backup-target.js';
import { openDatabase } from '../database.js';

const JSON_OPTION = { type: 'boolean', description: 'print the result as JSON (progress goes to stderr)' } as const;
const ID_ARGUMENT = { name: 'ID', description: 'a backup id, as backup list shows it' };

/** `shopgraph backup create | list | verify ID | restore ID --to URL | prune`. */
export const backupCommands: Command[] = [
  {
    words: ['backup', 'create'],
    options: { json: { ...JSON_OPTION, description: 'print the manifest (with id and rowCounts) as JSON' } },
    summary: 'take a consistent logical backup (from a replica) to SHOPGRAPH_BACKUP_TARGET',
    run: create,
  },
  {
    words: ['backup', 'list'],
    options: { json: { ...JSON_OPTION, description: 'print an array of manifests' } },
    summary: 'list finished backups, oldest first',
    run: list,
  },
  {
    words: ['backup', 'verify'],
    arguments: [ID_ARGUMENT],
    options: { json: { ...JSON_OPTION, description: 'print the report as JSON' } },
    summary: "check a backup's files against its manifest",
    run: verify,
  },
  {
    words: ['backup', 'restore'],
    arguments: [ID_ARGUMENT],
    options: {
      to: { type: 'string', value: 'URL', required: true, description: 'postgres://user:password@host:port/database (an empty database)' },
      force: { type: 'boolean', description: 'empty a database that holds data first' },
      json: { ...JSON_OPTION, description: 'print the manifest of the restored backup' },
    },
    summary: 'restore into an empty database, verified table by table',
    run: restore,
  },
  {
    words: ['backup', 'prune'],
    options: {
      keep: { type: 'string', value: 'N', description: 'keep the newest N backups (default SHOPGRAPH_BACKUP_KEEP, 7)' },
      'max-age-days': {
        type: 'string',
        value: 'D',
        description: 'of the rest, delete those older than D days (default SHOPGRAPH_BACKUP_MAX_AGE_DAYS; unset: all)',
      },
      json: { ...JSON_OPTION, description: 'print the ids deleted as JSON' },
    },
    summary: 'delete old backups (keeps the newest N)',
    run: prune,
  },
];

async function create(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const database = await openDatabase(config, logger);
  try {
    const manifest = await createBackup(database.manager, backupTarget(config.backup), (message) => logger.info(message));
    if (flag(args, 'json')) printJson(manifest);
  } finally {
    await database.close();
  }
}

async function list(config: Config, _logger: Logger, args: CommandArgs): Promise<void> {
  const manifests = await backupTarget(config.backup).list();
  if (flag(args, 'json')) printJson(manifests);
  else for (const manifest of manifests) process.stdout.write(`${describe(manifest)}\n`);
}

async function verify(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const report = await verifyBackup(backupTarget(config.backup), args.positionals[0]!);
  if (flag(args, 'json')) printJson(report);
  if (!report.ok) throw new Error(`backup ${report.id} failed verification:\n${report.problems.join('\n')}`);
  logger.info(`backup ${report.id} verified: every file present, readable, and matching its checksums and row counts`);
}

async function restore(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const manifest = await restoreBackup(backupTarget(config.backup), args.positionals[0]!, stringOption(args, 'to')!, {
    force: flag(args, 'force'),
    progress: (message) => logger.info(message),
  });
  if (flag(args, 'json')) printJson(manifest);
}

async function prune(config: Config, logger: Logger, args: CommandArgs): Promise<void> {
  const keep = numberOption(args, 'keep', config.backup.keep, { min: 1, max: 10_000 });
  const maxAge =
    args.options['max-age-days'] !== undefined
      ? numberOption(args, 'max-age-days', 0, { min: 0.01, max: 100_000 })
      : config.backup.maxAgeDays;
  const deleted = await pruneBackups(backupTarget(config.backup), { keep, maxAgeDays: maxAge });
  if (flag(args, 'json')) printJson(deleted);
  logger.info(deleted.length > 0 ? `deleted ${deleted.length} backups: ${deleted.join(', ')}` : 'nothing to prune');
}

function describe(manifest: BackupManifest): string {
  const rows = Object.values(manifest.rowCounts).reduce((sum, count) => sum + count, 0);
  return `${manifest.id}  ${manifest.startedAt}  ${String(rows).padStart(9)} rows  ${String(manifest.totalBytes).padStart(11)} bytes  from ${manifest.source.node} (${manifest.source.role}) at ${manifest.source.walPosition}`;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
