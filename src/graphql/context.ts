import type { ConnectionManager, Route } from '../cluster/index.js';
import { createStores, type Stores } from '../db/index.js';
import { ForbiddenError, InternalError, UnauthenticatedError } from '../errors.js';
import { createLoaders, type Loaders } from './loaders.js';

/** Who is calling, from the Authorization header. */
export type Caller = { kind: 'anonymous' } | { kind: 'admin' } | { kind: 'unrecognised' };

interface Routed {
  route: Route;
  stores: Stores;
  loaders: Loaders;
}

/**
 * The context of one GraphQL request. The database route is chosen once the operation is
 * known (a query reads from a replica, a mutation works on the primary), which is after
 * Apollo creates the context, so the routing plugin assigns it before execution starts.
 */
export class GraphQLContext {
  private routed: Routed | undefined;

  constructor(
    readonly requestId: string,
    readonly cluster: ConnectionManager,
    private readonly caller: Caller,
  ) {}

  /** Refuses the call unless the caller presented admin credentials. */
  requireAdmin(): void {
    if (this.caller.kind === 'anonymous')
      throw new UnauthenticatedError('This field needs admin credentials: send Authorization: Bearer <admin token>.');
    if (this.caller.kind !== 'admin') throw new ForbiddenError('These credentials do not grant admin access.');
  }

  assignRoute(route: Route): void {
    const stores = createStores(route);
    this.routed = { route, stores, loaders: createLoaders(stores) };
  }

  get route(): Route {
    return this.require().route;
  }

  get stores(): Stores {
    return this.require().stores;
  }

  get loaders(): Loaders {
    return this.require().loaders;
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
