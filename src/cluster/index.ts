export { classifyFailure, isNodeFailure, RolledBackError, type FailureKind } from './failure.js';
export type { HealthState } from './health.js';
export { formatLsn, parseLsn, type Lsn } from './lsn.js';
export { ConnectionManager, type ClusterStatus, type ConnectionManagerOptions, type NodeStatus } from './manager.js';
export { ClusterNode, type NodeEndpoint, type NodeRole } from './node.js';
export type { ClusterMode } from './policy.js';
export { Route, type ReadChoice, type RouteIntent, type RouteOptions, type RunOptions } from './route.js';
export { RoutingStats } from './stats.js';
export { decodeToken, encodeToken, type ConsistencyToken } from './token.js';
