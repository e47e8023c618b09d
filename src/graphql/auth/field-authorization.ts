import { defaultFieldResolver, isNonNullType, isObjectType, Kind, type GraphQLField, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { isScope, type Scope } from './scopes.js';

/**
 * Whose data a row is, for customer tokens: on these types, scoped fields (a customer's name,
 * email and orders) resolve only for the customer's own token. Entry points that return
 * customers or orders (customer, order, orders, node, mutations) check ownership themselves.
 */
const OWNER_OF: Record<string, (row: { id: number }) => number> = {
  Customer: (row) => row.id,
};

/**
 * Enforces authorization per field, as the SDL declares it: a field marked
 * `@requiresScope(scope: "...")` resolves only for callers with that scope (and, on a
 * customer, only for that customer's own token when the caller holds one). A refusal is a
 * FORBIDDEN error on that field alone, which is nullable so the rest of the response stands.
 */
export function applyFieldAuthorization(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const ownerOf = OWNER_OF[type.name];
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, GraphQLContext>[]) {
      const scope = requiredScope(field);
      if (!scope) continue;
      if (isNonNullType(field.type))
        throw new Error(
          `${type.name}.${field.name} has @requiresScope but cannot be null; make it nullable so a refusal leaves the rest of the response standing.`,
        );
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        context.authorize(scope);
        if (ownerOf) context.authorizeCustomerData(ownerOf(source as { id: number }));
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

const scopes = new WeakMap<object, Scope | null>();

/** The scope a field's `@requiresScope` names, read from the SDL (once per field). */
export function requiredScope(field: GraphQLField<unknown, GraphQLContext>): Scope | undefined {
  let scope = scopes.get(field);
  if (scope === undefined) {
    scope = scopeInSdl(field) ?? null;
    scopes.set(field, scope);
  }
  return scope ?? undefined;
}

function scopeInSdl(field: GraphQLField<unknown, GraphQLContext>): Scope | undefined {
  const directive = field.astNode?.directives?.find((candidate) => candidate.name.value === 'requiresScope');
  const argument = directive?.arguments?.find((candidate) => candidate.name.value === 'scope');
  if (!argument) return undefined;
  if (argument.value.kind !== Kind.STRING || !isScope(argument.value.value)) {
    throw new Error(`@requiresScope on ${field.name} names an unknown scope; see src/graphql/auth/scopes.ts.`);
  }
  return argument.value.value;
}
