import type { ApolloServerPlugin } from '@apollo/server';
import { getVariableValues, type GraphQLSchema } from 'graphql';
import type { CachePolicies } from '../cache-policy.js';
import type { GraphQLContext } from '../context.js';
import { cachingHeaders, etagOf } from '../http-caching.js';
import { fragmentsOf } from '../limits/cost.js';

/**
 * The caching headers of every response of the full path, from the same policy the fast lane
 * computes (see CachePolicies and cachingHeaders). Apollo Server's own cache-control plugin is
 * off: it computes the policy from the resolvers that ran, and a compiled read runs none.
 */
export function httpCachingPlugin(schema: GraphQLSchema, policies: CachePolicies): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (!operation) return;
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          if (coerced.coerced) contextValue.cachePolicy = policies.policyOf(operation, fragmentsOf(document), coerced.coerced);
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const hit = contextValue?.cacheHit;
          const headers = cachingHeaders(contextValue?.cachePolicy, (result.errors?.length ?? 0) > 0, () =>
            hit ? hit.etag : etagOf(JSON.stringify(result.data)),
          );
          response.http.headers.set('cache-control', headers.cacheControl);
          if (headers.etag) response.http.headers.set('etag', headers.etag);
          if (headers.vary) response.http.headers.set('vary', headers.vary);
        },
      };
    },
  };
}
