import { buildSchema, getVariableValues, Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { compileRead } from '../../src/db/index.js';
import type { Caller } from '../../src/graphql/auth/index.js';
import { planRead } from '../../src/graphql/read-plan.js';
import { PreparedTexts, ReadTemplates } from '../../src/graphql/read-templates.js';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { gid } from '../support/ids.js';

vi.mock('../../src/db/index.js', async (importOriginal) => {
  const db = await importOriginal<typeof import('../../src/db/index.js')>();
  return { ...db, compileRead: vi.fn(db.compileRead) };
});
vi.mock('../../src/graphql/read-plan.js', async (importOriginal) => {
  const plan = await importOriginal<typeof import('../../src/graphql/read-plan.js')>();
  return { ...plan, planRead: vi.fn(plan.planRead) };
});

const schema = buildSchema(loadSchemaSource());
const caller: Caller = { kind: 'anonymous', id: 'address:test', label: 'anonymous', scopes: new Set(['catalog:read']), ratePerSecond: 100 };

function statementFor(templates: ReadTemplates, document: DocumentNode, variables: Record<string, unknown>) {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const { coerced } = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return templates.statementFor(document, operation, coerced!, caller);
}

const SEARCH = parse(`query($text: String, $min: String, $max: String, $c: ID) {
  products(first: 10, filter: { search: $text, minPrice: $min, maxPrice: $max, categoryId: $c, inStock: true }) {
    nodes { sku price { amount } } } }`);

beforeEach(() => vi.clearAllMocks());

describe('read templates', () => {
  it('plan one statement for searches that differ in text, prices and category, with their values as parameters', () => {
    const templates = new ReadTemplates(schema, { templateBytes: 1024 * 1024, preparedBytes: 1024 * 1024 });
    const oak = statementFor(templates, SEARCH, { text: 'oak', min: '1.00', max: '900', c: gid('Category', 9) })!;
    const steel = statementFor(templates, SEARCH, { text: 'steel', min: '20', max: '300.5', c: gid('Category', 10) })!;
    expect(compileRead).toHaveBeenCalledTimes(1);
    expect(steel.text).toBe(oak.text);
    expect(oak.parameters).toEqual(expect.arrayContaining(['%oak%', 9]));
    expect(steel.parameters).toEqual(expect.arrayContaining(['%steel%', 10]));
  });

  it('plan a search whose text is absent apart from one whose text is given, so neither answers for the other', () => {
    const templates = new ReadTemplates(schema, { templateBytes: 1024 * 1024, preparedBytes: 1024 * 1024 });
    const query = parse('query S($s: String) { products(first: 3, filter: { search: $s }) { totalCount } }');
    const absent = statementFor(templates, query, {})!;
    const given = statementFor(templates, query, { s: 'zz-no-such-product' })!;
    const nulled = statementFor(templates, query, { s: null })!;
    expect(given.text).not.toBe(absent.text);
    expect(given.parameters).toContain('%zz-no-such-product%');
    expect(nulled.parameters).not.toContain('%zz-no-such-product%');
  });

  it('plan a lookup by sku apart from a lookup by id of the same operation', () => {
    const templates = new ReadTemplates(schema, { templateBytes: 1024 * 1024, preparedBytes: 1024 * 1024 });
    const query = parse('query P($id: ID, $sku: String) { product(id: $id, sku: $sku) { name } }');
    const bySku = statementFor(templates, query, { sku: 'SKU-000001' })!;
    const byId = statementFor(templates, query, { id: gid('Product', 7) })!;
    expect(bySku.parameters).toEqual(['SKU-000001']);
    expect(byId.parameters).toEqual([7]);
    expect(byId.text).not.toBe(bySku.text);
  });

  it('keep nothing for a request refused for its arguments, and keep that an operation is not compiled', () => {
    const templates = new ReadTemplates(schema, { templateBytes: 1024 * 1024, preparedBytes: 1024 * 1024 });
    const refused = parse('query($f: ProductFilter) { products(first: 3, filter: $f) { totalCount } }');
    for (let i = 0; i < 2; i += 1) expect(statementFor(templates, refused, { f: { search: 'x'.repeat(101) } })).toBeUndefined();
    expect(planRead).toHaveBeenCalledTimes(2);
    vi.clearAllMocks();
    const uncovered = parse('{ node(id: "x") { id } }');
    for (let i = 0; i < 2; i += 1) expect(statementFor(templates, uncovered, {})).toBeUndefined();
    expect(planRead).toHaveBeenCalledTimes(1);
  });

  it('plan a search with the values of each execution, and a lookup by id once, as a named prepared statement', () => {
    const templates = new ReadTemplates(schema, { templateBytes: 1024 * 1024, preparedBytes: 1024 * 1024 });
    expect(statementFor(templates, SEARCH, { text: 'oak' })!.prepare).toBe(false);
    expect(statementFor(templates, parse('query($id: ID!) { product(id: $id) { name } }'), { id: gid('Product', 3) })!.prepare).toBe(true);
  });

  it('prepare statement texts up to their byte bound, first come, and run the others unnamed', () => {
    const prepared = new PreparedTexts(100);
    expect(prepared.admits('x'.repeat(30))).toBe(true);
    expect(prepared.admits('y'.repeat(30))).toBe(false);
    expect(prepared.admits('x'.repeat(30))).toBe(true);
    expect([prepared.size, prepared.bytes]).toEqual([1, 60]);
  });
});
