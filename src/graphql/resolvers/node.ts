import { BadUserInputError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import type { NodeResolvers, QueryResolvers, Resolvers, ResolversParentTypes } from '../generated/resolvers.js';
import { decodeGlobalId, type DecodedId, type NodeType } from '../ids.js';

const MAX_NODES = 100;

type NodeRow = ResolversParentTypes['Node'];

/** Which type each row fetched through `node`/`nodes` is, for `Node.__resolveType`. */
const nodeTypes = new WeakMap<NodeRow, NodeType>();

async function loadNode(ctx: GraphQLContext, { type, id }: DecodedId): Promise<NodeRow | null> {
  const loaders = ctx.loaders;
  const loader = {
    Category: loaders.category,
    Customer: loaders.customer,
    Order: loaders.order,
    Product: loaders.product,
    Review: loaders.review,
    Warehouse: loaders.warehouse,
  }[type];
  const row: NodeRow | undefined = await loader.load(id);
  if (row === undefined) return null;
  nodeTypes.set(row, type);
  return row;
}

const Query: QueryResolvers = {
  node: (_, { id }, ctx) => loadNode(ctx, decodeGlobalId(id, 'id')),
  nodes: (_, { ids }, ctx) => {
    if (ids.length > MAX_NODES) throw new BadUserInputError(`ids may hold at most ${MAX_NODES} ids.`, 'ids');
    const decoded = ids.map((id, index) => decodeGlobalId(id, `ids[${index}]`));
    return Promise.all(decoded.map((id) => loadNode(ctx, id)));
  },
};

const Node: NodeResolvers = {
  __resolveType: (row) => nodeTypes.get(row) ?? null,
};

export const nodeResolvers = { Query, Node } satisfies Resolvers;
