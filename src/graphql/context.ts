import type { ConnectionManager, Deadline, Route } from '../cluster/index.js';
import { createStores, type Stores } from '../db/index.js';
import { ForbiddenError, InternalError } from '../errors.js';
import { hasScope, type Caller, type Scope } from './auth/index.js';
import type { CachePolicy } from './cache-policy.js';
import type { CacheHit } from './response-cache/index.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { RequestFacts } from '../log.js';

interface Routed {
  route: Route;
  stores?: Stores;
  loaders?: Loaders;
}

/**
 * The context of one GraphQL request. The database route is chosen once the operation is
 * known (a query reads from a replica, a mutation works on the primary), which is after
 * Apollo creates the context, so the routing plugin assigns it before execution starts.
 */
export class GraphQLContext {
  private routed: Routed | undefined;
  /** The request's consistency token was not honoured (see readRouteOptions); the response says so. */
  tokenIgnored = false;
  /**
   * The failure of the compiled read the fast lane sent for this request (retried on its
   * route as any read is). The full path reports it instead of sending the read again.
   */
  failedRead: unknown;
  /** How long the response may be kept and by whom, once the operation is known (see CachePolicies). */
  cachePolicy: CachePolicy | undefined;
  /** The server's response cache answered the request; no statement ran. */
  cacheHit: CacheHit | undefined;

  constructor(
    readonly requestId: string,
    readonly cluster: ConnectionManager,
    readonly caller: Caller,
    /** When the request must be done by; its running statements are cancelled then. */
    readonly deadline: Deadline,
    /** Facts for the request's log line, filled in as the request goes. */
    readonly log: RequestFacts = {},
  ) {}

  /** Refuses (FORBIDDEN) unless the caller holds `scope`. */
  authorize(scope: Scope): void {
    if (hasScope(this.caller, scope)) return;
    const hint = this.caller.kind === 'anonymous' ? 'send an API key or token that grants it' : 'these credentials do not grant it';
    throw new ForbiddenError(`This needs the ${scope} scope; ${hint}.`, { scope });
  }

  /** Refuses (FORBIDDEN) a customer token access to another customer's profile or orders. */
  authorizeCustomerData(customerId: number): void {
    const own = this.caller.customerId;
    if (own !== undefined && own !== customerId)
      throw new ForbiddenError("A customer's token reads only that customer's own profile and orders.");
  }

  /** The customer a customer token is limited to, if the caller holds one. */
  get ownCustomerId(): number | undefined {
    return this.caller.customerId;
  }

  assignRoute(route: Route): void {
    this.routed = { route };
  }

  get route(): Route {
    return this.require().route;
  }

  /** The stores on this request's route, made when first needed (compiled reads need none). */
  get stores(): Stores {
    const routed = this.require();
    return (routed.stores ??= createStores(routed.route));
  }

  get loaders(): Loaders {
    const routed = this.require();
    return (routed.loaders ??= createLoaders(this.stores));
  }

  /** The route, if the request got as far as choosing one. */
  get assignedRoute(): Route | undefined {
    return this.routed?.route;
  }

  private require(): Routed {
    if (!this.routed) throw new InternalError('The request reached a resolver before its database route was chosen.');
    return this.routed;
  }
}
