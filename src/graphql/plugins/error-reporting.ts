import type { ApolloServerPlugin } from '@apollo/server';
import { safeErrorFields } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { GraphQLContext } from '../context.js';
import { isUnexpected } from '../errors.js';

/**
 * Logs every error the client sees as INTERNAL_SERVER_ERROR, without its text (see
 * safeErrorFields), and gives the client the request id that finds that log line.
 */
export function errorReportingPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (!isUnexpected(error)) continue;
            logger.error('request failed unexpectedly', {
              requestId: contextValue.requestId,
              operation: operationName ?? undefined,
              path: error.path?.join('.'),
              ...safeErrorFields(error.originalError ?? error),
            });
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors?.some((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR')) return;
          response.body.singleResult.errors = errors.map((error) =>
            error.extensions?.code === 'INTERNAL_SERVER_ERROR'
              ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
              : error,
          );
        },
      };
    },
  };
}
