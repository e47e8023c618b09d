import type { Lsn } from './lsn.js';

/** What one probe says about the server behind a node's URL. */
export interface ServerSighting {
  /** `address:port` of the server that answered (inet_server_addr/port), null over a Unix socket. */
  server: string | null;
  systemIdentifier: string;
  timeline: number;
  lsn: Lsn;
}

/** How long the sightings that betray a pooled endpoint count. */
const WINDOW_MS = 60_000;
/** Backward moves within the window it takes: one can be a replica restarted from its last restartpoint. */
const BACKWARD_MOVES = 2;

/**
 * Tells whether a node's URL reaches one server or several (a Kubernetes service over all
 * replicas, a cloud reader endpoint, PgBouncer over several servers). ShopGraph's per-node
 * guarantees (lag bounds, consistency tokens, timelines) hold for a server, not for a URL
 * that lands on whichever server a connection happens to reach.
 *
 * The evidence: the URL answered from one server, then another, then the first again (a
 * single change is a server that moved, as a pod rescheduled with a new address); or its
 * position went backwards on one timeline twice (one server never replays backwards, apart
 * from a restart from its last restartpoint). A replica's timeline alone says nothing: it
 * reads as its last restartpoint's while its WAL receiver restarts. Once pooled, always
 * pooled: a URL does not stop being a pool.
 */
export class PooledEndpointDetector {
  private sightings: { at: number; server: string }[] = [];
  private backwardMoves: number[] = [];
  private last: ServerSighting | undefined;
  private evidence: string | undefined;

  /** Why the URL is taken for a pooled endpoint, or undefined while it looks like one server. */
  get pooled(): string | undefined {
    return this.evidence;
  }

  /** Takes a probe's sighting; true when it is the one that shows the URL is pooled. */
  observe(sighting: ServerSighting, now: number): boolean {
    if (this.evidence) return false;
    const previous = this.last;
    this.last = sighting;
    this.sightings = this.sightings.filter((entry) => now - entry.at <= WINDOW_MS);
    this.backwardMoves = this.backwardMoves.filter((at) => now - at <= WINDOW_MS);
    const server = `${sighting.systemIdentifier}/${sighting.server ?? 'socket'}`;
    if (this.sightings.at(-1)?.server !== server) {
      const returning = this.sightings.slice(0, -1).some((entry) => entry.server === server);
      this.sightings.push({ at: now, server });
      if (returning) return this.conclude('it answered from one server, then another, then the first again');
    }
    if (previous && previous.timeline === sighting.timeline && previous.systemIdentifier === sighting.systemIdentifier) {
      if (sighting.lsn < previous.lsn) this.backwardMoves.push(now);
      if (this.backwardMoves.length >= BACKWARD_MOVES) return this.conclude('its position went backwards on one timeline');
    }
    return false;
  }

  /** Forgets what it saw since the node last answered: a node that was down may come back elsewhere. */
  interrupted(): void {
    this.last = undefined;
  }

  private conclude(evidence: string): true {
    this.evidence = evidence;
    return true;
  }
}
