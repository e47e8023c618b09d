import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLField,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { requiredScope } from '../../src/graphql/auth/field-authorization.js';
import type { Scope } from '../../src/graphql/auth/index.js';
import { CachePolicies, cacheControlHeader } from '../../src/graphql/cache-policy.js';
import { fragmentsOf } from '../../src/graphql/limits/cost.js';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';

const schema = makeExecutableSchema({ typeDefs: loadSchemaSource() });

function policyOf(query: string, variables: Record<string, unknown> = {}, anonymousScopes: Scope[] = ['catalog:read']) {
  const document = parse(query);
  const operation = document.definitions.find((definition) => definition.kind === 'OperationDefinition') as OperationDefinitionNode;
  return new CachePolicies(schema, anonymousScopes).policyOf(operation, fragmentsOf(document), variables);
}

describe('the cache policy of a response', () => {
  it('is the catalogue type’s maxAge and public for a product’s own fields', () => {
    expect(policyOf('{ product(sku: "A") { id name price { amount currency } } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('is the strictest of its fields: stock is kept shorter than the product', () => {
    expect(policyOf('{ product(sku: "A") { name inventory { totalAvailable } } }')).toEqual({ maxAge: 10, scope: 'PUBLIC' });
  });

  it('lets connections, edges, page info and money inherit their parent’s maxAge', () => {
    const query =
      '{ category(id: "x") { name products(first: 5) { edges { cursor node { name price { amount } } } pageInfo { hasNextPage } } } }';
    expect(policyOf(query)).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('is not cacheable when it holds personal data', () => {
    expect(policyOf('{ customer(id: "x") { id createdAt } }')).toEqual({ maxAge: 0, scope: 'PRIVATE' });
    expect(policyOf('{ product(sku: "A") { reviews(first: 3) { nodes { rating customer { id } } } } }').maxAge).toBe(0);
  });

  it('is private when a field needs a scope anonymous callers lack', () => {
    expect(policyOf('{ product(sku: "A") { name } }', {}, [])).toEqual({ maxAge: 60, scope: 'PRIVATE' });
  });

  it('gives a root field of an interface without a hint 0 seconds, as Apollo Server does', () => {
    expect(policyOf('{ node(id: "x") { id ... on Product { name } } }').maxAge).toBe(0);
  });

  it('is not cacheable for a mutation or introspection', () => {
    expect(policyOf('mutation { adjustInventory(input: { productId: "x", warehouseId: "y", delta: 1 }) { __typename } }').maxAge).toBe(0);
    expect(policyOf('{ __schema { queryType { name } } }').maxAge).toBe(0);
  });

  it('counts only the fields @include and @skip leave in', () => {
    const query = 'query ($stock: Boolean!) { product(sku: "A") { name inventory @include(if: $stock) { totalAvailable } } }';
    expect(policyOf(query, { stock: false }).maxAge).toBe(60);
    expect(policyOf(query, { stock: true }).maxAge).toBe(10);
  });

  it('is sent as public, max-age=N; private, max-age=N; or no-store', () => {
    expect(cacheControlHeader({ maxAge: 60, scope: 'PUBLIC' })).toBe('public, max-age=60');
    expect(cacheControlHeader({ maxAge: 60, scope: 'PRIVATE' })).toBe('private, max-age=60');
    expect(cacheControlHeader({ maxAge: 0, scope: 'PUBLIC' })).toBe('no-store');
  });
});

/**
 * Every field family of the schema: for each field of each type reachable from Query, an
 * operation that reaches it along the shortest path and selects it. Whatever the hints say,
 * a response is public only when anonymous callers may read every field on the way.
 */
describe('over every field family of the schema', () => {
  const families = fieldFamilies();

  it('covers the schema', () => {
    expect(families.length).toBeGreaterThan(80);
  });

  for (const anonymousScopes of [['catalog:read'], [], ['catalog:read', 'customers:read']] as Scope[][]) {
    it(`marks public only field sets anonymous callers may read (anonymous scopes: ${anonymousScopes.join(',') || 'none'})`, () => {
      const wronglyPublic = families.filter(({ query, fields }) => {
        const policy = policyOf(query, {}, anonymousScopes);
        const anonymous = fields.every((field) => {
          const scope = requiredScope(field);
          return scope === undefined || anonymousScopes.includes(scope);
        });
        return policy.scope === 'PUBLIC' && policy.maxAge > 0 && !anonymous;
      });
      expect(wronglyPublic.map(({ query }) => query)).toEqual([]);
    });
  }

  it('never shares personal data: customers, orders and the cluster’s status are never cacheable', () => {
    const personal = families.filter(({ fields }) =>
      fields.some((field) => /^(Customer|Order|ClusterStatus)/.test(getNamedType(field.type).name)),
    );
    expect(personal.length).toBeGreaterThan(5);
    expect(personal.filter(({ query }) => policyOf(query, {}, ['admin']).maxAge > 0).map(({ query }) => query)).toEqual([]);
  });

  it('makes some catalogue families public', () => {
    expect(families.filter(({ query }) => policyOf(query).scope === 'PUBLIC' && policyOf(query).maxAge > 0).length).toBeGreaterThan(20);
  });
});

interface Family {
  query: string;
  /** Every field definition the query selects, root first. */
  fields: GraphQLField<unknown, unknown>[];
}

function fieldFamilies(): Family[] {
  // Shortest path from Query to every object type, breadth first.
  const paths = new Map<string, GraphQLField<unknown, unknown>[]>([['Query', []]]);
  const queue: GraphQLObjectType[] = [schema.getQueryType()!];
  while (queue.length > 0) {
    const type = queue.shift()!;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      const objects = isObjectType(target) ? [target] : isCompositeType(target) ? schema.getPossibleTypes(target) : [];
      for (const object of objects) {
        if (paths.has(object.name)) continue;
        paths.set(object.name, [...paths.get(type.name)!, field]);
        queue.push(object);
      }
    }
  }
  const families: Family[] = [];
  for (const [typeName, path] of paths) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const field of Object.values(type.getFields())) {
      const leaf = isLeafType(getNamedType(field.type)) ? call(field) : `${call(field)} { __typename }`;
      let selection = `... on ${typeName} { ${leaf} }`;
      for (const step of [...path].reverse()) selection = `${call(step)} { ${selection} }`;
      families.push({ query: `{ ${selection} }`, fields: [...path, field] });
    }
  }
  return families;
}

/** A field with a literal for each argument it must have. */
function call(field: GraphQLField<unknown, unknown>): string {
  const required = field.args.filter((argument) => isNonNullType(argument.type));
  if (required.length === 0) return field.name;
  const literal = (type: unknown): string => {
    const inner = getNullableType(type as never);
    if (isInputObjectType(inner)) return '{}';
    if (isEnumType(inner)) return inner.getValues()[0]!.name;
    if (String(inner).startsWith('[')) return '[]';
    return String(inner) === 'Int' ? '1' : '"x"';
  };
  return `${field.name}(${required.map((argument) => `${argument.name}: ${literal(argument.type)}`).join(', ')})`;
}
