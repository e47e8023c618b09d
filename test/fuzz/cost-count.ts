import {
  execute,
  getNamedType,
  isLeafType,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type GraphQLTypeResolver,
} from 'graphql';

/**
 * The cost of a response counted apart from the server's cost analysis: graphql-js executes
 * the operation over the response's own data, and every field it resolves to a non-null
 * value adds its part of the model (README, Costs and limits): 1 for an object or a list, 2
 * for a connection, nothing for a connection's page (`edges`, `nodes`) itself, for scalars
 * or for `__typename`. A Node's type is the one its id names, as `Node.__resolveType` answers.
 */
export function countCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, data: unknown): number {
  if (data === null || data === undefined) return 0;
  let total = 0;
  const types = new WeakMap<object, string>();
  const fieldResolver: GraphQLFieldResolver<Record<string, unknown>, unknown> = (source, args, _, info) => {
    const value = source[info.path.key as string];
    if (value === null || value === undefined || isLeafType(getNamedType(info.returnType))) return value;
    const parent = info.parentType.name;
    const type = getNamedType(info.returnType).name;
    if (!(parent.endsWith('Connection') && (info.fieldName === 'edges' || info.fieldName === 'nodes'))) {
      total += type.endsWith('Connection') ? 2 : 1;
    }
    if (info.fieldName === 'node' && parent === 'Query') types.set(value as object, typeNamed(args.id));
    if (info.fieldName === 'nodes' && parent === 'Query') {
      (value as unknown[]).forEach((item, index) => item && types.set(item as object, typeNamed((args.ids as unknown[])[index])));
    }
    return value;
  };
  const typeResolver: GraphQLTypeResolver<object, unknown> = (value) => types.get(value);
  const result = execute({ schema, document, rootValue: data, variableValues: variables, fieldResolver, typeResolver });
  if ('then' in result) throw new Error('the count ran asynchronously');
  return total;
}

/** The type named by a global id: base64url("Type:id"). */
function typeNamed(id: unknown): string {
  return Buffer.from(String(id), 'base64url').toString('utf8').split(':')[0]!;
}
