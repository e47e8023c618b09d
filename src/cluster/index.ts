export { ConnectionManager, type ConnectionManagerOptions, type NodeStatus } from './manager.js';
export { ClusterNode, type NodeEndpoint, type NodeRole } from './node.js';
export { Route, type RouteIntent } from './route.js';
