#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js';
import { safeErrorFields } from '../errors.js';
import { createLogger } from '../log.js';
import { parseCommandLine, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';

async function main(argv: string[]): Promise<number> {
  // The command line is checked before anything else: a typo costs nothing and runs nothing.
  const line = parseCommandLine(argv, COMMANDS);
  if (line.kind === 'help') {
    process.stdout.write(`${line.text}\n`);
    return 0;
  }
  const config = loadConfig();
  // Machine-readable output owns stdout; progress goes to stderr then.
  const logger = createLogger({ level: config.logLevel, to: line.args.options.json === true ? 'stderr' : 'stdout' });
  await line.command.run(config, logger, line.args);
  return 0;
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
