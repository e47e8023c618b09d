import { buildSchema, getVariableValues, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { compileRead } from '../../src/db/index.js';
import type { Caller } from '../../src/graphql/auth/index.js';
import { ReadTemplates } from '../../src/graphql/read-templates.js';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { gid } from '../support/ids.js';

vi.mock('../../src/db/index.js', async (importOriginal) => {
  const db = await importOriginal<typeof import('../../src/db/index.js')>();
  return { ...db, compileRead: vi.fn(db.compileRead) };
});

const schema = buildSchema(loadSchemaSource());
const caller: Caller = { kind: 'anonymous', id: 'address:test', label: 'anonymous', scopes: new Set(['catalog:read']), ratePerSecond: 100 };

const SEARCH = parse(`query($text: String, $min: String, $max: String, $c: ID) {
  products(first: 10, filter: { search: $text, minPrice: $min, maxPrice: $max, categoryId: $c, inStock: true }) {
    nodes { sku price { amount } } } }`);
const operation = SEARCH.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;

function statementFor(templates: ReadTemplates, variables: Record<string, unknown>) {
  const { coerced } = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return templates.statementFor(SEARCH, operation, coerced!, caller)!;
}

describe('read templates', () => {
  it('plan one statement for searches that differ in text, prices and category, with their values as parameters', () => {
    const templates = new ReadTemplates(schema);
    const oak = statementFor(templates, { text: 'oak', min: '1.00', max: '900', c: gid('Category', 9) });
    const steel = statementFor(templates, { text: 'steel', min: '20', max: '300.5', c: gid('Category', 10) });
    expect(compileRead).toHaveBeenCalledTimes(1);
    expect(steel.text).toBe(oak.text);
    expect(oak.parameters).toEqual(expect.arrayContaining(['%oak%', 9]));
    expect(steel.parameters).toEqual(expect.arrayContaining(['%steel%', 10]));
  });
});
