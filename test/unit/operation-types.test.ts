import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codegen } from '@graphql-codegen/core';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import * as typescriptOperationsPlugin from '@graphql-codegen/typescript-operations';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schemaForToolsFile } from '../../src/graphql/schema-source.js';

const documents = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'storefront');

/** What graphql-codegen (typescript + typescript-operations) generates for a client of these operations. */
async function operationTypes(): Promise<string> {
  const files = (await readdir(documents)).filter((file) => file.endsWith('.graphql'));
  return codegen({
    filename: 'operations.ts',
    schema: parse(await readFile(schemaForToolsFile, 'utf8')),
    documents: await Promise.all(
      files.map(async (file) => ({ location: file, document: parse(await readFile(path.join(documents, file), 'utf8')) })),
    ),
    plugins: [{ typescript: {} }, { 'typescript-operations': {} }],
    pluginMap: { typescript: typescriptPlugin, 'typescript-operations': typescriptOperationsPlugin },
    // The operations are named as Relay wants them (`HomePageQuery`): no second suffix.
    config: { scalars: { DateTime: 'string' }, omitOperationSuffix: true },
  });
}

describe('graphql-codegen on the storefront and partner operations of issue 15', () => {
  it('types every operation, and the shortages of an out-of-stock checkout as data, not as an error extension', async () => {
    const types = await operationTypes();
    for (const name of ['HomePage', 'ProductPage', 'CategoryPage', 'Search', 'OrderHistory', 'StocktakeWarehouse'])
      expect(types).toContain(`export type ${name}Query = `);
    for (const name of ['Checkout', 'StocktakeCount']) expect(types).toContain(`export type ${name}Mutation = `);
    const checkout = types.slice(types.indexOf('export type CheckoutMutation = '));
    expect(checkout).toMatch(
      /__typename: 'InsufficientStockError', code: UserErrorCode, .*shortages: Array<\{ requested: number, available: number, product: \{ id: string, name: string \} \}>/,
    );
  });
});
