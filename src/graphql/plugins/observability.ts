import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../context.js';
import type { Metrics } from '../metrics.js';

/**
 * One metric per GraphQL operation, and the operation's facts for the request's log line
 * (which the HTTP layer writes when the response is sent): which operation, served by which
 * node, how it ended and how long it took.
 */
export function observabilityPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, contextValue, operation, operationName }) {
          const seconds = (performance.now() - started) / 1000;
          const type = operation?.operation ?? 'invalid';
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const outcome = errors?.length ? String(errors[0]?.extensions?.code ?? 'ERROR') : 'ok';
          metrics.recordOperation(operationName ?? undefined, type, outcome, seconds);
          const node = contextValue.assignedRoute?.servedBy;
          Object.assign(contextValue.log, { operation: operationName ?? undefined, type, node: node?.name, role: node?.role, outcome });
        },
      };
    },
  };
}
