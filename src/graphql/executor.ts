import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, printSchema, type GraphQLSchema } from 'graphql';
import type { CompiledRead } from '../db/index.js';
import type { GraphQLContext } from './context.js';
import { ReadTemplates } from './read-templates.js';

/**
 * Executes operations for Apollo Server (through its gateway interface, the hook it offers
 * for a custom executor): a query the read compiler covers runs as ONE SQL statement on the
 * operation's route; everything else runs through graphql-js and the resolvers.
 */
export function shopGraphExecutor(schema: GraphQLSchema, options: { compiledReads: boolean }): GatewayInterface {
  const templates = options.compiledReads ? new ReadTemplates(schema) : undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        async executor(requestContext) {
          const context = requestContext.context as GraphQLContext;
          const { document, operation, request } = requestContext;
          const compiled = templates?.statementFor(document, operation, request.variables ?? {}, context.caller);
          if (compiled) {
            try {
              return { data: JSON.parse(await runCompiled(context, compiled)) as Record<string, unknown> };
            } catch (error) {
              return {
                data: null,
                errors: [new GraphQLError(error instanceof Error ? error.message : 'read failed', { originalError: error as Error })],
              };
            }
          }
          return execute({
            schema,
            document,
            contextValue: context,
            variableValues: request.variables,
            operationName: request.operationName ?? operation.name?.value,
          });
        },
      };
    },
    async stop() {},
  };
}

/** Runs the statement on the operation's route: the node it picked, retried and cancelled like any read. */
function runCompiled(context: GraphQLContext, compiled: CompiledRead): Promise<string> {
  const route = context.route;
  return route.run(async (node) => {
    node.countStatement();
    const [row] = await route.clientFor(node).unsafe<{ data: string }[]>(compiled.text, compiled.parameters as never[]);
    return row!.data;
  });
}
