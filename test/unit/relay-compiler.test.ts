import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSchemaSource, schemaForToolsFile } from '../../src/graphql/schema-source.js';
import { STOREFRONT_MODULES, STOREFRONT_OPERATIONS } from '../fixtures/relay/storefront.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const relayCompiler = path.join(root, 'node_modules', 'relay-compiler', 'cli.js');
const storefrontDocuments = path.join(root, 'test', 'fixtures', 'storefront');

const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await fs.rm(directory, { recursive: true, force: true });
});

/**
 * Runs relay-compiler (the binary the npm package ships) over the storefront modules with
 * this schema text, and returns the operation text of every operation it generated (null
 * where Relay generated none) and the TypeScript types of its response.
 */
async function compileWithRelay(schema: string, modules: Record<string, string> = STOREFRONT_MODULES): Promise<Map<string, string | null>> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-relay-'));
  directories.push(directory);
  await fs.mkdir(path.join(directory, 'src'));
  await fs.writeFile(path.join(directory, 'schema.graphql'), schema);
  await fs.writeFile(
    path.join(directory, 'relay.config.json'),
    JSON.stringify({ src: './src', schema: './schema.graphql', language: 'typescript', customScalarTypes: { DateTime: 'string' } }),
  );
  for (const [module, documents] of Object.entries(modules)) {
    const source = `import { graphql } from 'relay-runtime';\n\nexport default graphql\`${documents}\n\`;\n`;
    await fs.writeFile(path.join(directory, 'src', `${module}.ts`), source);
  }
  await promisify(execFile)(process.execPath, [relayCompiler], { cwd: directory, timeout: 60_000 });
  const generated = path.join(directory, 'src', '__generated__');
  const texts = new Map<string, string | null>();
  for (const file of await fs.readdir(generated)) {
    const artifact = await fs.readFile(path.join(generated, file), 'utf8');
    if (!artifact.includes('"kind": "Request"')) continue;
    const text = /"text": ("(?:[^"\\]|\\.)*"|null)/.exec(artifact)?.[1];
    texts.set(file.replace(/\.graphql\.ts$/, ''), text === undefined ? null : (JSON.parse(text) as string | null));
  }
  return texts;
}

describe('Relay on the schema file for tools', () => {
  it('produces an operation text for every storefront operation, each valid against the schema', async () => {
    const texts = await compileWithRelay(await fs.readFile(schemaForToolsFile, 'utf8'));
    expect([...texts.keys()].sort()).toEqual(STOREFRONT_OPERATIONS);
    const schema = buildSchema(loadSchemaSource());
    for (const [name, text] of texts) {
      expect(text, `${name} has no operation text`).toEqual(expect.any(String));
      expect(validate(schema, parse(text!)), name).toEqual([]);
    }
  });

  it('compiles the storefront and partner operations of issue 15, typing userErrors and their shortages', async () => {
    const files = (await fs.readdir(storefrontDocuments)).filter((file) => file.endsWith('.graphql'));
    const modules: Record<string, string> = {};
    for (const file of files) modules[file.replace(/\.graphql$/, '')] = await fs.readFile(path.join(storefrontDocuments, file), 'utf8');
    const texts = await compileWithRelay(await fs.readFile(schemaForToolsFile, 'utf8'), modules);
    expect([...texts.keys()].sort()).toEqual(
      Object.values(modules)
        .map((document) => /(?:query|mutation) (\w+)/.exec(document)![1])
        .sort(),
    );
    for (const [name, text] of texts) expect(text, `${name} has no operation text`).toEqual(expect.any(String));
    const checkout = await fs.readFile(path.join(directories.at(-1)!, 'src', '__generated__', 'CheckoutMutation.graphql.ts'), 'utf8');
    expect(checkout).toContain('"INSUFFICIENT_STOCK"');
    expect(checkout).toMatch(/readonly shortages\?: ReadonlyArray<\{/);
  });

  it('is needed: on the schema files as written, Relay leaves out the fields declared under extend type', async () => {
    const texts = await compileWithRelay(loadSchemaSource());
    const missing = [...texts].filter(([, text]) => text === null).map(([name]) => name);
    expect(missing).toEqual(expect.arrayContaining(['ProductPageQuery', 'SearchQuery', 'PlaceOrderMutation']));
  });
});
