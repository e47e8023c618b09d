import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { decodeToken, encodeToken, type ConnectionManager, type Route, type RouteOptions } from '../../cluster/index.js';
import { ForbiddenError, safeErrorFields, WriteOutcomeUnknownError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { hasScope, type Caller, type Scope } from '../auth/index.js';
import type { GraphQLContext } from '../context.js';
import { formatError, requestError as shopGraphRequestError } from '../errors.js';
import { cacheRoutingExtensions, type CacheHit } from '../response-cache/index.js';

/** Request header carrying a consistency token from an earlier mutation response. */
export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';
/** Request header asking for a read from the primary: `x-read-from: primary`. */
export const READ_FROM_HEADER = 'x-read-from';

/**
 * Chooses the database route of each operation once it is known: a query reads from a
 * replica (one that replayed the client's consistency token, if it sent one, or the primary
 * if it asked), a mutation and the payload it returns work on the primary. Every response
 * says in `extensions.routing` which role served it and how far behind that node was, and
 * a mutation's response carries the consistency token of its writes.
 */
export function routingPlugin(cluster: ConnectionManager, logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue, request }) {
          const { deadline } = contextValue;
          if (operation?.operation === 'mutation') contextValue.assignRoute(cluster.route('write', { deadline }));
          else
            contextValue.assignRoute(
              cluster.route('read', { ...readRouteOptions(request.http?.headers, contextValue, cluster), deadline }),
            );
        },
        async willSendResponse(requestContext) {
          const { response, contextValue } = requestContext;
          const route = contextValue.assignedRoute;
          if (!route || (!route.servedBy && !contextValue.cacheHit) || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const extensions = routingExtensions(cluster, route, contextValue.tokenIgnored, contextValue.cacheHit);
          const token = await writeToken(requestContext, logger);
          if (token instanceof WriteOutcomeUnknownError) {
            // The writes committed on a primary that was promoted away meanwhile: nothing of the
            // answer may stand as acknowledged.
            result.data = null;
            result.errors = [formatError({ message: token.message }, token)];
          } else if (token) {
            extensions.consistency = { token };
            response.http.headers.set(CONSISTENCY_TOKEN_HEADER, token);
          }
          result.extensions = { ...result.extensions, ...extensions };
        },
      };
    },
  };
}

/**
 * `extensions.routing` of a response whose route ran a statement: the role and node that
 * served it and how far behind that node was, or for an answer from the response cache the
 * node and position it was read at and its age; and a warning when a consistency token could
 * not be honoured because the cluster failed over after its write, or was not looked at.
 */
export function routingExtensions(cluster: ConnectionManager, route: Route, tokenIgnored = false, hit?: CacheHit): Record<string, unknown> {
  if (hit) return tokenIgnored ? { ...cacheRoutingExtensions(hit), ...tokenWarning(tokenIgnored) } : cacheRoutingExtensions(hit);
  const node = route.servedBy;
  if (!node) return {};
  const choice = route.readChoice;
  const lag = cluster.lagOf(node);
  const extensions: Record<string, unknown> = {
    routing: {
      role: node.role,
      node: node.name,
      timeline: node.timeline,
      lagBytes: lag?.lagBytes ?? null,
      lagSeconds: lag?.lagSeconds ?? null,
      ...(choice?.reason ? { fallbackReason: choice.reason } : {}),
      ...(node.pooled ? { pooledEndpoint: true } : {}),
    },
  };
  if (node.pooled) {
    extensions.consistency = {
      warning: 'POOLED_ENDPOINT',
      message:
        'Served through a database URL with several servers behind it: the lag bound was checked on one of them only, and a later read may see older data than this one.',
    };
  }
  if (choice?.reason === 'token-timeline') {
    extensions.consistency = {
      warning: 'TIMELINE_CHANGED',
      message:
        'The cluster failed over after the write behind your consistency token; that write may have been lost. Read it back to check.',
    };
  }
  return { ...extensions, ...tokenWarning(tokenIgnored) };
}

function tokenWarning(tokenIgnored: boolean): Record<string, unknown> {
  if (!tokenIgnored) return {};
  return {
    consistency: {
      warning: 'TOKEN_IGNORED',
      message: `The consistency token is not one the cluster has reached on its current timeline, which would send the read to the primary; only callers with a write scope or ${PRIMARY_READ_SCOPE} may send such a token. The read was served as if you had sent none.`,
    },
  };
}

/** The scope that lets a caller that does not write steer its reads to the primary. */
const PRIMARY_READ_SCOPE: Scope = 'primary:read';
const WRITE_SCOPES: readonly Scope[] = ['catalog:write', 'inventory:write', 'orders:write'];

/**
 * Whether a caller may make its reads costlier for the primary: ask for the primary outright,
 * or send a consistency token the cluster has not been seen to reach (the read waits for the
 * replicas and then goes to the primary, or goes there at once for a token of another
 * timeline). Callers that write need it to read their writes; others need `primary:read`.
 * Anyone else could otherwise push the read load onto the primary.
 */
function maySteerReads(caller: Caller): boolean {
  return hasScope(caller, PRIMARY_READ_SCOPE) || WRITE_SCOPES.some((scope) => hasScope(caller, scope));
}

/**
 * The route options a query's request headers ask for: a BAD_USER_INPUT GraphQLError for a bad
 * header, FORBIDDEN for `x-read-from: primary` from a caller that may not steer reads. Such a
 * caller's consistency token is dropped (`tokenIgnored` in the context) unless the cluster has
 * reached it, since it could hold the read and send it to the primary; a token the cluster has
 * reached is honoured for everyone.
 */
export function readRouteOptions(
  headers: ReadonlyMap<string, string> | undefined,
  context: GraphQLContext,
  cluster: ConnectionManager,
): RouteOptions {
  const options: RouteOptions = {};
  const readFrom = headers?.get(READ_FROM_HEADER)?.trim().toLowerCase();
  if (readFrom !== undefined && readFrom !== '') {
    if (readFrom !== 'primary') throw requestError(`The ${READ_FROM_HEADER} header takes one value: primary.`);
    if (!maySteerReads(context.caller)) {
      throw shopGraphRequestError(
        new ForbiddenError(
          `${READ_FROM_HEADER}: primary needs a write scope or ${PRIMARY_READ_SCOPE}; leave the header out to read from a replica.`,
          {
            scope: PRIMARY_READ_SCOPE,
          },
        ),
      );
    }
    options.primary = true;
  }
  const tokenText = headers?.get(CONSISTENCY_TOKEN_HEADER);
  if (tokenText !== undefined && tokenText.trim() !== '') {
    const token = decodeToken(tokenText);
    if (!token)
      throw requestError(
        `The ${CONSISTENCY_TOKEN_HEADER} header is not a consistency token; send one back exactly as a mutation response gave it.`,
      );
    if (!cluster.hasReached(token) && !maySteerReads(context.caller)) context.tokenIgnored = true;
    else options.token = token;
  }
  return options;
}

function requestError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

/**
 * The token of a mutation's writes, or undefined (no writes, or the primary went away), or
 * WRITE_OUTCOME_UNKNOWN when they committed on a superseded timeline.
 */
async function writeToken(
  { contextValue }: GraphQLRequestContext<GraphQLContext>,
  logger: Logger,
): Promise<string | WriteOutcomeUnknownError | undefined> {
  const route = contextValue.assignedRoute;
  if (!route?.hasWritten) return undefined;
  try {
    const token = await route.consistencyToken();
    return token && encodeToken(token);
  } catch (error) {
    if (error instanceof WriteOutcomeUnknownError) return error;
    logger.warn('could not read the commit position for a consistency token', {
      requestId: contextValue.requestId,
      ...safeErrorFields(error),
    });
    return undefined;
  }
}
