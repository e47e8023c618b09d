import type { GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  getVariableValues,
  GraphQLError,
  printSchema,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { inOperationSpan } from '../tracing/index.js';
import type { GraphQLContext } from './context.js';
import { fragmentsOf } from './limits/cost.js';
import type { ReadStatement, ReadTemplates } from './read-templates.js';
import { mayBeCached, type CacheableRequest, type CachedRead, type CachedReads } from './response-cache/index.js';

export interface ExecutorOptions {
  /** Compiled reads; without them every operation runs through the resolvers. */
  templates?: ReadTemplates;
  /** Told of each request that runs as a compiled read (the fast lane learns from it). */
  onCompiledRead?: (
    request: { query?: string; operationName?: string | null },
    document: DocumentNode,
    operation: OperationDefinitionNode,
  ) => void;
  /** The server's response cache; absent: every read reaches the database. */
  cachedReads?: CachedReads;
}

/**
 * Executes operations for Apollo Server (through its gateway interface, the hook it offers
 * for a custom executor): a query the read compiler covers runs as ONE SQL statement on the
 * operation's route; everything else runs through graphql-js and the resolvers.
 */
export function shopGraphExecutor(schema: GraphQLSchema, options: ExecutorOptions): GatewayInterface {
  const { templates, onCompiledRead, cachedReads } = options;
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
          // The fast lane sent this request's read and saw it fail: a read is sent twice at most.
          if (context.failedRead !== undefined) return failedResult(context.failedRead);
          const span = { type: operation?.operation ?? 'query', name: operation?.name?.value };
          const cacheable = cachedReads && operation && cacheableRequest(requestContext);
          const key = cacheable && cachedReads.keyOf(cacheable);
          // Requests for the same key that miss meanwhile may join this request's read (see lookupAfterMiss).
          let reading: ((read: CachedRead | undefined) => void) | undefined;
          if (key) {
            const found = cachedReads.lookup(key, context.route.options);
            const { hit, settle } = found ? { hit: found } : await cachedReads.lookupAfterMiss(key, cacheable, context.route.options);
            if (hit) {
              context.cacheHit = hit;
              return { data: JSON.parse(hit.data) as Record<string, unknown> };
            }
            reading = settle;
          }
          const startedAt = Date.now();
          const keep = (data: Record<string, unknown>) => {
            if (key) reading?.(cachedReads.fill(key, cacheable, context.route, data, JSON.stringify(data), startedAt));
          };
          try {
            // No operation (an unknown operationName): graphql-js says so, which Apollo answers with 400.
            const compiled = templates && operation && compiledStatement(templates, requestContext);
            if (compiled) {
              onCompiledRead?.(request, document, operation);
              let data: Record<string, unknown>;
              try {
                data = JSON.parse(await inOperationSpan(span, () => runCompiled(context, compiled))) as Record<string, unknown>;
              } catch (error) {
                return failedResult(error);
              }
              keep(data);
              return { data };
            }
            const run = async () =>
              execute({
                schema,
                document,
                contextValue: context,
                variableValues: request.variables,
                operationName: request.operationName ?? operation?.name?.value,
              });
            const result = await inOperationSpan(span, run, (result) => (result.errors?.length ?? 0) > 0);
            if (!result.errors?.length && result.data) keep(result.data as Record<string, unknown>);
            return result;
          } finally {
            reading?.(undefined);
          }
        },
      };
    },
    async stop() {},
  };
}

/** The result of a compiled read that failed (formatError gives it its code). */
function failedResult(error: unknown) {
  return {
    data: null,
    errors: [new GraphQLError(error instanceof Error ? error.message : 'read failed', { originalError: error as Error })],
  };
}

/** A query as the response cache sees it; undefined when it may not be cached, or its variables do not coerce (graphql-js reports them). */
function cacheableRequest({
  schema,
  document,
  operation,
  request,
  context,
  queryHash,
}: GatewayGraphQLRequestContext): CacheableRequest | undefined {
  const { cachePolicy, caller } = context as GraphQLContext;
  // Most queries of a private caller stop here, before their variables are coerced again.
  if (!mayBeCached(cachePolicy)) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (!coerced.coerced) return undefined;
  return {
    queryHash,
    operationName: request.operationName ?? undefined,
    operation,
    fragments: fragmentsOf(document),
    variables: coerced.coerced,
    policy: cachePolicy,
    caller,
  };
}

/** The compiled statement of a request, if the compiler covers it. */
function compiledStatement(
  templates: ReadTemplates,
  { schema, document, operation, request, context }: GatewayGraphQLRequestContext,
): ReadStatement | undefined {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  // Variables that do not coerce: graphql-js reports them.
  if (!coerced.coerced) return undefined;
  return templates.statementFor(document, operation, coerced.coerced, (context as GraphQLContext).caller);
}

/** Runs the statement on the operation's route: the node it picked, retried and cancelled like any read. */
export function runCompiled(context: GraphQLContext, compiled: ReadStatement): Promise<string> {
  const route = context.route;
  return route.run(async (node) => {
    node.countStatement();
    const client = route.clientFor(node, { prepare: compiled.prepare });
    const [row] = await client.unsafe<{ data: string }[]>(compiled.text, compiled.parameters as never[]);
    return row!.data;
  });
}
