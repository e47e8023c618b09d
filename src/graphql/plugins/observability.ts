import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../context.js';
import type { Metrics } from '../metrics.js';

/** How one GraphQL operation went, for its metric and the request's log line. */
export interface OperationReport {
  name: string | undefined;
  /** query, mutation, subscription, or invalid when no operation could be resolved. */
  type: string;
  /** ok, or the code of the first error. */
  outcome: string;
  seconds: number;
}

/**
 * Records one operation: its metric, and its facts in the request's log line (which the HTTP
 * layer writes when the response is sent): which operation, served by which node, how it
 * ended.
 */
export function reportOperation(metrics: Metrics, context: GraphQLContext, report: OperationReport): void {
  const { name, type, outcome, seconds } = report;
  metrics.recordOperation(name, type, outcome, seconds);
  const hit = context.cacheHit;
  const node = context.assignedRoute?.servedBy;
  Object.assign(context.log, { operation: name, type, node: hit?.node ?? node?.name, role: hit ? 'cache' : node?.role, outcome });
}

/** Reports every operation that Apollo Server runs (see reportOperation). */
export function observabilityPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, contextValue, operation, operationName }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          reportOperation(metrics, contextValue, {
            name: operationName ?? undefined,
            type: operation?.operation ?? 'invalid',
            outcome: errors?.length ? String(errors[0]?.extensions?.code ?? 'ERROR') : 'ok',
            seconds: (performance.now() - started) / 1000,
          });
        },
      };
    },
  };
}
