import { validateConnectionArgs, type ConnectionArgs, type Page } from '../db/index.js';

/**
 * What a connection field resolves to: the page and the total, each fetched only when the
 * client selects it (and the page once, however many of edges, nodes and pageInfo it selects).
 */
export interface ConnectionSource<Row> {
  page(): Promise<Page<Row>>;
  totalCount(): Promise<number>;
}

export function connectionSource<Row>(
  args: ConnectionArgs,
  page: () => Promise<Page<Row>>,
  totalCount: () => Promise<number>,
): ConnectionSource<Row> {
  validateConnectionArgs(args);
  let pending: Promise<Page<Row>> | undefined;
  return { page: () => (pending ??= page()), totalCount };
}

/** Field resolvers shared by every connection type. */
export function connectionResolvers<Row>() {
  return {
    edges: async (source: ConnectionSource<Row>) => {
      const page = await source.page();
      return page.rows.map((row) => ({ cursor: page.cursorOf(row), node: row }));
    },
    nodes: async (source: ConnectionSource<Row>) => (await source.page()).rows,
    pageInfo: async (source: ConnectionSource<Row>) => {
      const page = await source.page();
      const first = page.rows[0];
      const last = page.rows[page.rows.length - 1];
      return {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: first === undefined ? null : page.cursorOf(first),
        endCursor: last === undefined ? null : page.cursorOf(last),
      };
    },
    totalCount: (source: ConnectionSource<Row>) => source.totalCount(),
  };
}
