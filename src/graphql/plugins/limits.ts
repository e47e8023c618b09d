import type { ApolloServerPlugin } from '@apollo/server';
import { getVariableValues } from 'graphql';
import { ShopGraphError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { requestError } from '../errors.js';
import type { Charge, CostAccounting } from '../limits/accounting.js';
import { fragmentsOf } from '../limits/cost.js';

/**
 * Applies the static and rate limits after validation, before any resolver or SQL runs (a
 * refusal ends the request with its HTTP status), and reports `extensions.cost` on every
 * response.
 */
export function limitsPlugin(accounting: CostAccounting): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let charge: Charge | undefined;
      return {
        async didResolveOperation({ schema, operation, document, request, contextValue }) {
          if (!operation) return;
          // Judge the request on its variables as execution will see them. Variables that do
          // not coerce fail execution with BAD_USER_INPUT, before any resolver runs.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          if (coerced.errors) return;
          try {
            charge = await accounting.charge(
              { schema, operation, fragments: fragmentsOf(document), variables: coerced.coerced },
              contextValue.caller,
            );
          } catch (error) {
            throw error instanceof ShopGraphError ? requestError(error) : error;
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!charge || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          // Read the extensions after the await: the other plugins' hooks run meanwhile and add
          // theirs (routing). `cost` stays first, where responses have always had it.
          const cost = await accounting.settle(charge, result.data, contextValue.deadline.passed);
          result.extensions = { cost, ...result.extensions };
        },
      };
    },
  };
}
