import type { NodeType } from '../../src/graphql/index.js';

/** Values drawn from the seeded data, so generated operations name things that exist. */
export interface FuzzData {
  ids: Record<NodeType, string[]>;
  skus: string[];
  /** Order numbers. */
  orderNumbers: string[];
  /** Slugs of products and of categories. */
  productSlugs: string[];
  categorySlugs: string[];
  /** Single words of product names, and runs of two or three words (rare phrases). */
  words: string[];
  phrases: string[];
  customerTerms: string[];
  prices: string[];
  /** Creation times of orders. */
  times: string[];
  /** Cursors by connection type and sort order, as `ProductConnection:PRICE_DESC`. */
  cursors: Record<string, string[]>;
}

export type Request = (query: string, variables?: Record<string, unknown>) => Promise<{ data?: Record<string, any> | null }>;

export const PRODUCT_ORDER_FIELDS = ['NAME', 'PRICE', 'CREATED_AT', 'BEST_SELLING', 'TOP_RATED'];
const PRODUCT_ORDERS = PRODUCT_ORDER_FIELDS.flatMap((field) => ['ASC', 'DESC'].map((direction) => ({ field, direction })));

/** Reads the fuzz data through the API (the resolvers), as a client would see it. */
export async function loadFuzzData(request: Request): Promise<FuzzData> {
  const cursors: Record<string, string[]> = {};
  const products: { id: string; sku: string; slug: string; name: string; price: { amount: string } }[] = [];
  for (const order of PRODUCT_ORDERS) {
    const { data } = await request(
      'query($o: ProductOrder) { products(first: 60, orderBy: $o) { edges { cursor node { id sku slug name price { amount } } } } }',
      { o: order },
    );
    const edges = data!.products.edges as { cursor: string; node: (typeof products)[number] }[];
    cursors[`ProductConnection:${order.field}_${order.direction}`] = edges.map((edge) => edge.cursor);
    products.push(...edges.map((edge) => edge.node));
  }
  for (const direction of ['ASC', 'DESC']) {
    const { data } = await request(
      'query($o: ProductOrder) { products(first: 60, filter: { text: "oak OR steel OR kettle" }, orderBy: $o) { edges { cursor } } }',
      { o: { field: 'RELEVANCE', direction } },
    );
    cursors[`ProductConnection:RELEVANCE_${direction}`] = data!.products.edges.map((edge: { cursor: string }) => edge.cursor);
  }
  const { data } = await request(`{
    categories(first: 50) { edges { cursor node { id slug children { id slug children { id slug } } } } }
    customers(first: 60) { edges { cursor node { id name email } } }
    orders(first: 60) { edges { cursor node { id number createdAt } } }
    warehouses { id stock(first: 40) { edges { cursor } } }
    products(first: 30, orderBy: { field: PRICE }) { nodes { reviews(first: 10) { edges { cursor node { id } } } } }
  }`);
  const categoryIds = new Set<string>();
  const categorySlugs = new Set<string>();
  const visit = (category: { id: string; slug: string; children?: { id: string; slug: string }[] }) => {
    categoryIds.add(category.id);
    categorySlugs.add(category.slug);
    for (const child of category.children ?? []) visit(child);
  };
  for (const edge of data!.categories.edges) visit(edge.node);
  cursors['CategoryConnection:NAME_ASC'] = data!.categories.edges.map((edge: { cursor: string }) => edge.cursor);
  cursors['CustomerConnection:CREATED_AT_DESC'] = data!.customers.edges.map((edge: { cursor: string }) => edge.cursor);
  cursors['InventoryLevelConnection:PRODUCT_ASC'] = data!.warehouses.flatMap((warehouse: { stock: { edges: { cursor: string }[] } }) =>
    warehouse.stock.edges.map((edge) => edge.cursor),
  );
  cursors['OrderConnection:CREATED_AT_DESC'] = data!.orders.edges.map((edge: { cursor: string }) => edge.cursor);
  const reviewEdges = data!.products.nodes.flatMap(
    (product: { reviews: { edges: { cursor: string; node: { id: string } }[] } }) => product.reviews.edges,
  );
  cursors['ReviewConnection:CREATED_AT_DESC'] = reviewEdges.map((edge: { cursor: string }) => edge.cursor);
  const names = products.map((product) => product.name);
  const words = [...new Set(names.flatMap((name) => name.split(' ')))];
  const phrases = [
    ...new Set(
      names.flatMap((name) => {
        const parts = name.split(' ');
        return [parts.slice(0, 2).join(' '), parts.slice(-2).join(' '), name];
      }),
    ),
  ];
  return {
    ids: {
      Product: [...new Set(products.map((product) => product.id))],
      Category: [...categoryIds],
      Customer: data!.customers.edges.map((edge: { node: { id: string } }) => edge.node.id),
      Order: data!.orders.edges.map((edge: { node: { id: string } }) => edge.node.id),
      Review: reviewEdges.map((edge: { node: { id: string } }) => edge.node.id),
      Warehouse: data!.warehouses.map((warehouse: { id: string }) => warehouse.id),
    },
    skus: products.map((product) => product.sku),
    orderNumbers: data!.orders.edges.map((edge: { node: { number: string } }) => edge.node.number),
    productSlugs: [...new Set(products.map((product) => product.slug))],
    categorySlugs: [...categorySlugs],
    words,
    phrases,
    customerTerms: data!.customers.edges.flatMap((edge: { node: { name: string; email: string } }) => [
      edge.node.name.split(' ')[0]!,
      edge.node.email.split('@')[1]!,
    ]),
    prices: products.map((product) => product.price.amount),
    times: data!.orders.edges.map((edge: { node: { createdAt: string } }) => edge.node.createdAt),
    cursors,
  };
}
