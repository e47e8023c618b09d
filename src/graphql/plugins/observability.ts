import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../../log.js';
import type { GraphQLContext } from '../context.js';
import type { Metrics } from '../metrics.js';

/**
 * One log line and one metric per GraphQL operation: which operation, for whom, served by
 * which node, how it ended and how long it took. The log carries the caller's label (a key
 * id and name, or "anonymous"), never a credential or personal data.
 */
export function observabilityPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<GraphQLContext> {
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
          const route = contextValue.assignedRoute;
          logger.info('graphql request', {
            requestId: contextValue.requestId,
            operation: operationName ?? undefined,
            type,
            caller: contextValue.caller.label,
            node: route?.servedBy?.name,
            role: route?.servedBy?.role,
            outcome,
            durationMs: Math.round(seconds * 10_000) / 10,
          });
        },
      };
    },
  };
}
