import type { FallbackReason, RouteIntent } from './route.js';

/** Counters of routing decisions since start, for status and metrics. */
export class RoutingStats {
  readonly reads = {
    replica: 0,
    /** Reads sent to the primary because the client asked (x-read-from: primary). */
    primaryRequested: 0,
    primaryFallback: {
      'no-replica': 0,
      'replicas-unhealthy': 0,
      'replicas-lagging': 0,
      'token-not-replayed': 0,
      'token-timeline': 0,
    } satisfies Record<FallbackReason, number>,
  };
  readonly tokenWaits = { succeeded: 0, timedOut: 0 };
  readonly retries: Record<RouteIntent, number> = { read: 0, write: 0 };
  /** Times a failure made the manager probe every node at once. */
  rediscoveries = 0;
  /** Times another node became primary, whether or not there was a spell without one between. */
  failovers = 0;
}
