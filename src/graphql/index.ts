export { startGraphQLServer, type GraphQLServerOptions, type RunningServer } from './server.js';
export { toGlobalId, type NodeType } from './ids.js';
