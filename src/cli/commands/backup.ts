import type { Config } from '../../config.js';
import { createBackup, pruneBackups, restoreBackup, verifyBackup, type BackupManifest } from '../../db/backup/index.js';
import type { Logger } from '../../log.js';
import { numberOption, UsageError, type ParsedArgs } from '../args.js';
import { backupTarget } from '../backup-target.js';
import { openDatabase } from '../database.js';

/**
 * `shopgraph backup create [--json] | list [--json] | verify ID | restore ID --to URL [--force]
 * | prune [--keep N] [--max-age-days D]`.
 */
export async function backupCommand(config: Config, logger: Logger, args: ParsedArgs): Promise<void> {
  const action = args.positionals[1];
  const json = args.options.has('json');
  const target = backupTarget(config.backup);
  const progress = (message: string) => logger.info(message);
  switch (action) {
    case 'create': {
      const database = await openDatabase(config, logger);
      try {
        const manifest = await createBackup(database.manager, target, progress);
        if (json) printJson(manifest);
      } finally {
        await database.close();
      }
      return;
    }
    case 'list': {
      const manifests = await target.list();
      if (json) printJson(manifests);
      else for (const manifest of manifests) process.stdout.write(`${describe(manifest)}\n`);
      return;
    }
    case 'verify': {
      const report = await verifyBackup(target, requiredId(args, 'verify'));
      if (json) printJson(report);
      if (!report.ok) throw new Error(`backup ${report.id} failed verification:\n${report.problems.join('\n')}`);
      logger.info(`backup ${report.id} verified: every file present, readable, and matching its checksums and row counts`);
      return;
    }
    case 'restore': {
      const to = args.options.get('to');
      if (typeof to !== 'string')
        throw new UsageError('backup restore takes --to postgres://user:password@host:port/database (an empty database).');
      const manifest = await restoreBackup(target, requiredId(args, 'restore'), to, { force: args.options.has('force'), progress });
      if (json) printJson(manifest);
      return;
    }
    case 'prune': {
      const keep = numberOption(args, 'keep', config.backup.keep, { min: 1, max: 10_000 });
      const maxAge = args.options.has('max-age-days')
        ? numberOption(args, 'max-age-days', 0, { min: 0.01, max: 100_000 })
        : config.backup.maxAgeDays;
      const deleted = await pruneBackups(target, { keep, maxAgeDays: maxAge });
      if (json) printJson(deleted);
      logger.info(deleted.length > 0 ? `deleted ${deleted.length} backups: ${deleted.join(', ')}` : 'nothing to prune');
      return;
    }
    default:
      throw new UsageError(`backup takes create, list, verify ID, restore ID --to URL, or prune, not ${action ?? 'nothing'}.`);
  }
}

function requiredId(args: ParsedArgs, action: string): string {
  const id = args.positionals[2];
  if (!id) throw new UsageError(`backup ${action} takes a backup id, as backup list shows it.`);
  return id;
}

function describe(manifest: BackupManifest): string {
  const rows = Object.values(manifest.rowCounts).reduce((sum, count) => sum + count, 0);
  return `${manifest.id}  ${manifest.startedAt}  ${String(rows).padStart(9)} rows  ${String(manifest.totalBytes).padStart(11)} bytes  from ${manifest.source.node} (${manifest.source.role}) at ${manifest.source.walPosition}`;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
