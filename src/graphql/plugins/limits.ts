import type { ApolloServerPlugin } from '@apollo/server';
import { getVariableValues, Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { QueryTooComplexError, RateLimitedError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { requestError } from '../errors.js';
import { actualCost, analyseOperation, type CostLimits, type Operation, type OperationShape } from '../limits/cost.js';
import type { BucketState, RateLimiter } from '../limits/rate-limiter.js';

export interface RequestLimits {
  /** Most cost points one request may have. */
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxPageSize: number;
}

/**
 * Refuses a request over a static limit (QUERY_TOO_COMPLEX, naming the limit and the figure)
 * or over its caller's rate (RATE_LIMITED, 429 with Retry-After), after validation and
 * before any resolver or SQL runs; and reports `extensions.cost` on every response.
 */
export function limitsPlugin(limits: RequestLimits, rateLimiter: RateLimiter): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let charge: { requested: number; operation: Operation } | undefined;
      let bucket: BucketState | undefined;
      return {
        async didResolveOperation({ schema, operation, document, request, contextValue }) {
          if (!operation) return;
          // Judge the request on its variables as execution will see them. Variables that do
          // not coerce fail execution with BAD_USER_INPUT, before any resolver runs.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          if (coerced.errors) return;
          const analysed: Operation = { schema, operation, fragments: fragmentsOf(document), variables: coerced.coerced };
          const shape = analyseOperation(analysed, costLimits(limits));
          const refusal = overLimit(shape, limits);
          if (refusal) throw requestError(refusal);
          const { caller } = contextValue;
          const taken = rateLimiter.take(caller.id, caller.ratePerSecond, shape.cost);
          if (!taken.ok) {
            const capacity = rateLimiter.capacity(caller.ratePerSecond);
            if (shape.cost > capacity) {
              throw requestError(
                new QueryTooComplexError("The query's cost is more than your rate limit ever allows at once", 'cost', shape.cost, capacity),
              );
            }
            throw requestError(new RateLimitedError(taken.retryAfterSeconds, shape.cost, taken.state.currentlyAvailable));
          }
          charge = { requested: shape.cost, operation: analysed };
          bucket = taken.state;
        },
        async willSendResponse({ response, contextValue }) {
          if (!charge || !bucket || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const actual = Math.min(charge.requested, actualCost(charge.operation, costLimits(limits), result.data));
          const { caller } = contextValue;
          bucket = rateLimiter.refund(caller.id, caller.ratePerSecond, charge.requested - actual);
          result.extensions = {
            ...result.extensions,
            cost: { requestedQueryCost: charge.requested, actualQueryCost: actual, throttleStatus: bucket },
          };
        },
      };
    },
  };
}

function overLimit(shape: OperationShape, limits: RequestLimits): QueryTooComplexError | undefined {
  const page = shape.oversizedPages[0];
  if (page)
    return new QueryTooComplexError(`${page.argument} on ${page.path} asks for a page of`, 'pageSize', page.value, limits.maxPageSize);
  if (shape.depth > limits.maxDepth)
    return new QueryTooComplexError('The query nests fields this deep', 'depth', shape.depth, limits.maxDepth);
  if (shape.aliases > limits.maxAliases)
    return new QueryTooComplexError('The query uses this many aliases', 'aliases', shape.aliases, limits.maxAliases);
  if (shape.directives > limits.maxDirectives)
    return new QueryTooComplexError('The query uses this many directives', 'directives', shape.directives, limits.maxDirectives);
  if (shape.cost > limits.maxCost) return new QueryTooComplexError('The query costs this many points', 'cost', shape.cost, limits.maxCost);
  return undefined;
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

function costLimits(limits: RequestLimits): CostLimits {
  return { maxPageSize: limits.maxPageSize, defaultPageSize: 20, defaultListSize: 10 };
}
