import { readFile } from 'node:fs/promises';
import { buildASTSchema, buildSchema, parse, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { generatedFile, generateResolverTypes } from '../../codegen.js';
import { loadSchemaSource, printSchemaForTools, schemaForToolsFile } from '../../src/graphql/schema-source.js';

describe('generated resolver types', () => {
  it('match the SDL in schema/ (run `npm run codegen` after changing it)', async () => {
    const committed = await readFile(generatedFile, 'utf8');
    expect(committed === (await generateResolverTypes()), 'src/graphql/generated/resolvers.ts is stale: run npm run codegen').toBe(true);
  });
});

describe('the schema file for tools', () => {
  it('matches the SDL in schema/ (run `npm run codegen` after changing it)', async () => {
    const committed = await readFile(schemaForToolsFile, 'utf8');
    expect(committed === printSchemaForTools(), 'schema/generated/schema.graphql is stale: run npm run codegen').toBe(true);
  });

  it('is the same schema as schema/, in one document without a type extension', async () => {
    const document = parse(await readFile(schemaForToolsFile, 'utf8'));
    const extensions = document.definitions.filter((definition) => definition.kind.endsWith('Extension'));
    expect(extensions.map((definition) => definition.kind)).toEqual([]);
    expect(printSchema(buildASTSchema(document))).toBe(printSchema(buildSchema(loadSchemaSource())));
  });

  it('keeps the directives the schema files apply: every @requiresScope, and @specifiedBy on DateTime', async () => {
    const text = await readFile(schemaForToolsFile, 'utf8');
    const count = (source: string) => source.match(/@requiresScope\(/g)?.length ?? 0;
    expect(count(text)).toBe(count(loadSchemaSource()));
    expect(buildSchema(text).getType('DateTime')).toMatchObject({
      specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time',
    });
  });
});
