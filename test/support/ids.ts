import { toGlobalId, type NodeType } from '../../src/graphql/index.js';

/** A global id as the API hands it out, for building test requests. */
export const gid = (type: NodeType, id: number) => toGlobalId(type, id);
