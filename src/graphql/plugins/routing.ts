import type { ApolloServerPlugin } from '@apollo/server';
import type { ConnectionManager } from '../../cluster/index.js';
import type { GraphQLContext } from '../context.js';

/**
 * Chooses the database route of each operation once it is known: a query reads from a
 * replica, a mutation (and the payload it returns) works on the primary. The response says
 * in `extensions.routing` which role served it.
 */
export function routingPlugin(cluster: ConnectionManager): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          contextValue.assignRoute(cluster.route(operation?.operation === 'mutation' ? 'write' : 'read'));
        },
        async willSendResponse({ response, contextValue }) {
          const node = contextValue.assignedRoute?.servedBy;
          if (!node || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, routing: { role: node.role, node: node.name } };
        },
      };
    },
  };
}
