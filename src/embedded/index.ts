export { EmbeddedCluster, type EmbeddedClusterOptions, type EmbeddedNode } from './cluster.js';
export { ClusterKeeper, type ClusterKeeperOptions } from './keeper.js';
