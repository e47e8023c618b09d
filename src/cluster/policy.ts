import type { HealthState } from './health.js';
import type { Lsn } from './lsn.js';

/**
 * The routing policy as pure functions over what the probes last saw, so every rule can be
 * tested with made-up nodes and no database.
 */
export interface NodeState {
  name: string;
  state: HealthState;
  role: 'primary' | 'replica' | 'unknown';
  /** WAL timeline; grows by one at every promotion. */
  timeline: number;
  /** Primary: current WAL position. Replica: replayed position. */
  lsn: Lsn;
  /** Replica: seconds its replay is behind, when it is behind; null otherwise. */
  replayDelaySeconds: number | null;
  /** Statements running on the node now, from this process. */
  inFlight: number;
  /** Smoothed round-trip time in ms. */
  latencyMs: number;
  /** Why the node's URL is taken for a pooled endpoint (several servers behind it); undefined for one server. */
  pooled?: string | undefined;
}

export interface LagBounds {
  maxLagBytes: number;
  maxLagSeconds: number;
}

export interface Election<Node extends NodeState> {
  /** The node writes go to, if one is clearly the primary. */
  primary: Node | undefined;
  /** Nodes that claim to be primary but must not take writes (an older timeline, or a tie). */
  fenced: Node[];
  /** Set when several primaries share the newest timeline: nobody can tell which is right. */
  conflict: boolean;
}

/**
 * The primary is the answering node that says it is primary and is on the newest timeline
 * ever seen (`newestTimeline`, which the caller remembers across probes: it never goes down).
 * A primary on an older timeline (an old primary back after a promotion) is fenced, also
 * while the newer primary misses probes: then there is no primary, never the old one again.
 * Two primaries on the same newest timeline are both fenced, because choosing one would be
 * a guess.
 */
export function electPrimary<Node extends NodeState>(nodes: readonly Node[], newestTimeline: number): Election<Node> {
  const answering = nodes.filter((node) => node.state === 'up');
  const newest = Math.max(newestTimeline, ...answering.map((node) => node.timeline));
  // Through a pooled endpoint a claim is one server's of several: never a primary to write to.
  const claimants = answering.filter((node) => node.role === 'primary' && !node.pooled);
  const current = claimants.filter((node) => node.timeline === newest);
  const stale = claimants.filter((node) => node.timeline < newest);
  if (current.length === 1) return { primary: current[0], fenced: stale, conflict: false };
  return { primary: undefined, fenced: claimants, conflict: current.length > 1 };
}

/**
 * How far a node is behind, in WAL bytes and seconds, measured against `reference`. In
 * seconds it is the larger of its replay delay and `missingSeconds`, how long WAL past its
 * position has existed (the manager's own observation): a replica that receives nothing has
 * no replay delay. A replica that has replayed up to the reference is not behind in time
 * either: its replay delay is measured from the last transaction it replayed, which on a quiet
 * primary (or right after the replica restarts) can be long ago without anything missing.
 */
export function lagOf(node: NodeState, reference: Lsn, missingSeconds = 0): { bytes: number; seconds: number } {
  if (node.role === 'primary') return { bytes: 0, seconds: 0 };
  const behind = reference - node.lsn;
  if (behind <= 0n) return { bytes: 0, seconds: 0 };
  return { bytes: Number(behind), seconds: Math.max(node.replayDelaySeconds ?? 0, missingSeconds) };
}

/**
 * The position replicas are measured against: the primary's, or without one the furthest
 * any answering node on the newest timeline has got (positions on other timelines do not
 * compare).
 */
export function referencePosition(nodes: readonly NodeState[], primary: NodeState | undefined, newestTimeline: number): Lsn {
  if (primary) return primary.lsn;
  return nodes
    .filter((node) => node.state === 'up' && node.timeline === newestTimeline)
    .reduce<Lsn>((max, node) => (node.lsn > max ? node.lsn : max), 0n);
}

export type IneligibleReason = 'not-a-replica' | 'unhealthy' | 'lagging' | 'fenced-timeline';

/** Why a node cannot serve reads now, or undefined when it can. */
export function replicaIneligibility(
  node: NodeState,
  lag: { bytes: number; seconds: number },
  bounds: LagBounds,
  newestTimeline: number,
): IneligibleReason | undefined {
  if (node.role !== 'replica') return 'not-a-replica';
  if (node.state !== 'up') return 'unhealthy';
  // A replica still on an old timeline follows a primary that lost a failover: it has missed
  // writes acknowledged on the newer one, however small its lag looks against its own primary.
  if (node.timeline < newestTimeline) return 'fenced-timeline';
  if (lag.bytes > bounds.maxLagBytes || lag.seconds > bounds.maxLagSeconds) return 'lagging';
  return undefined;
}

/**
 * Power of two choices: two eligible nodes at random, then one of them in inverse proportion
 * to its cost (outstanding statements times smoothed latency). Spreads load almost as well as
 * checking every node, without herding every request onto the one that looked best a moment
 * ago. The last draw is weighted rather than won outright by the cheaper node: with one
 * request at a time both are idle, and a replica whose probes answer a little slower (one just
 * rewound and started again, its caches cold) would otherwise never be chosen at all.
 */
export function chooseReplica<Node extends NodeState>(eligible: readonly Node[], random: () => number): Node | undefined {
  if (eligible.length <= 1) return eligible[0];
  const first = Math.floor(random() * eligible.length);
  let second = Math.floor(random() * (eligible.length - 1));
  if (second >= first) second += 1;
  const a = eligible[first]!;
  const b = eligible[second]!;
  const costA = cost(a);
  return random() * (costA + cost(b)) < costA ? b : a;
}

function cost(node: NodeState): number {
  return (node.inFlight + 1) * Math.max(node.latencyMs, 0.1);
}

/**
 * - `normal`: a primary takes writes and at least one replica serves reads.
 * - `degraded`: a primary, but no replica fit to read from: reads fall back to the primary.
 * - `read-only`: no primary can take writes (none answers, or it has no synchronous standby
 *   while one is required); replicas still serve reads.
 * - `unavailable`: no node can serve anything.
 */
export type ClusterMode = 'normal' | 'degraded' | 'read-only' | 'unavailable';

export function clusterMode(primaryTakesWrites: boolean, eligibleReplicas: number, readableNodes: number): ClusterMode {
  if (primaryTakesWrites) return eligibleReplicas > 0 ? 'normal' : 'degraded';
  return readableNodes > 0 ? 'read-only' : 'unavailable';
}
