import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * An operation of a type the schema has no root for (a subscription, here) is invalid: the
 * rule graphql-js 17 adds as KnownOperationTypesRule. Without it, graphql-js 16 lets such an
 * operation through validation and fails it while executing, as if the server had failed.
 */
export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (schema.getRootType(node.operation)) return;
      context.reportError(
        new GraphQLError(`This API has no ${node.operation} operations; it answers queries and mutations.`, { nodes: node }),
      );
    },
  };
}
