export { EmbeddedCluster, type EmbeddedClusterOptions, type EmbeddedNode } from './cluster.js';
