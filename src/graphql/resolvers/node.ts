import { BadUserInputError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import type { NodeResolvers, QueryResolvers, Resolvers, ResolversParentTypes } from '../generated/resolvers.js';
import type { Scope } from '../auth/index.js';
import { decodeGlobalId, type NodeType } from '../ids.js';

const MAX_NODES = 100;

type NodeRow = ResolversParentTypes['Node'];

/** Which type each row fetched through `node`/`nodes` is, for `Node.__resolveType`. */
const nodeTypes = new WeakMap<NodeRow, NodeType>();

/** The scope that reads each type of node. */
const NODE_SCOPES: Record<NodeType, Scope> = {
  Category: 'catalog:read',
  Product: 'catalog:read',
  Review: 'catalog:read',
  Warehouse: 'catalog:read',
  Customer: 'customers:read',
  Order: 'orders:read',
};

async function loadNode(ctx: GraphQLContext, globalId: string, field: string): Promise<NodeRow | null> {
  const { type, id } = decodeGlobalId(globalId, field);
  ctx.authorize(NODE_SCOPES[type]);
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
  if (type === 'Customer') ctx.authorizeCustomerData(row.id);
  if (type === 'Order') ctx.authorizeCustomerData((row as { customerId: number }).customerId);
  nodeTypes.set(row, type);
  return row;
}

const Query: QueryResolvers = {
  node: (_, { id }, ctx) => loadNode(ctx, id, 'id'),
  nodes: (_, { ids }, ctx) => {
    if (ids.length > MAX_NODES) throw new BadUserInputError(`ids may hold at most ${MAX_NODES} ids.`, 'ids');
    // One promise per id: an id the caller may not read fails alone, as a null with its
    // error. graphql-js resolves such items one by one; the generated type cannot say so.
    return ids.map((id, index) => loadNode(ctx, id, `ids[${index}]`)) as Promise<NodeRow>[];
  },
};

const Node: NodeResolvers = {
  __resolveType: (row) => nodeTypes.get(row) ?? null,
};

export const nodeResolvers = { Query, Node } satisfies Resolvers;
