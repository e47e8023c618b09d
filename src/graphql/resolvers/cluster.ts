import type { ClusterMode, Durability, HealthState, NodeRole, NodeStatus } from '../../cluster/index.js';
import type {
  ClusterMode as ClusterModeValue,
  Durability as DurabilityValue,
  ClusterStatusResolvers,
  DatabaseNodeRole,
  DatabaseNodeState,
  DatabaseNodeStatusResolvers,
  QueryResolvers,
  ReplicaIneligibility,
  Resolvers,
} from '../generated/resolvers.js';

// Exhaustive maps from the manager's states to the SDL's enum values: a new state fails to compile here.
const MODES: Record<ClusterMode, ClusterModeValue> = {
  normal: 'NORMAL',
  degraded: 'DEGRADED',
  'read-only': 'READ_ONLY',
  unavailable: 'UNAVAILABLE',
};
const DURABILITIES: Record<Durability, DurabilityValue> = { synchronous: 'SYNCHRONOUS', 'local-only': 'LOCAL_ONLY', unknown: 'UNKNOWN' };
const ROLES: Record<NodeRole, DatabaseNodeRole> = { primary: 'PRIMARY', replica: 'REPLICA', unknown: 'UNKNOWN' };
const STATES: Record<HealthState, DatabaseNodeState> = { up: 'UP', suspect: 'SUSPECT', down: 'DOWN' };
const INELIGIBILITY: Record<NonNullable<NodeStatus['ineligible']>, ReplicaIneligibility | null> = {
  'not-a-replica': null,
  unhealthy: 'UNHEALTHY',
  lagging: 'LAGGING',
  'fenced-timeline': 'FENCED_TIMELINE',
};

const Query: QueryResolvers = {
  clusterStatus: (_, __, ctx) => ctx.cluster.status(),
};

const ClusterStatus: ClusterStatusResolvers = {
  mode: (status) => MODES[status.mode],
  durability: (status) => DURABILITIES[status.durability],
};

const DatabaseNodeStatus: DatabaseNodeStatusResolvers = {
  role: (node) => ROLES[node.role],
  state: (node) => STATES[node.state],
  ineligible: (node) => (node.ineligible === null ? null : INELIGIBILITY[node.ineligible]),
};

export const clusterResolvers = { Query, ClusterStatus, DatabaseNodeStatus } satisfies Resolvers;
