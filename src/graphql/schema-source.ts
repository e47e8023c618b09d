import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config.js';

/** The SDL files in `schema/`: the public contract, and the source of the resolver types. */
export const schemaDir = path.join(projectRoot, 'schema');

/**
 * Every SDL file as one document. `common.graphql` comes first because it defines the root
 * types the domain files extend.
 */
export function loadSchemaSource(): string {
  const files = readdirSync(schemaDir)
    .filter((file) => file.endsWith('.graphql'))
    .sort((a, b) => (a === 'common.graphql' ? -1 : b === 'common.graphql' ? 1 : a.localeCompare(b)));
  return files.map((file) => readFileSync(path.join(schemaDir, file), 'utf8')).join('\n');
}
