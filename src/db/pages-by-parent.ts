import { and, count, getTableColumns, inArray, sql, type Column, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './database.js';
import { fetchSize, keysetCondition, keysetOrderBy, toPage, type Page, type PageRequest, type SortOrder } from './pagination.js';
import { byKey } from './store.js';

export interface PagesByParentQuery<Row> {
  table: PgTable;
  /** The children of a parent: those whose `parentColumn` is its id, or those `within` selects for its id. */
  parentColumn: AnyPgColumn;
  within?: (parentId: SQL) => SQL;
  parentIds: readonly number[];
  order: SortOrder<Row>;
  request: PageRequest;
  /** Further conditions on the children, over the columns of `table`. */
  where?: SQL;
}

/**
 * One page of children for each of many parents in a single statement (a LATERAL join over
 * the parent ids), so a nested connection costs one query per batch, not one per parent.
 * Each parent's page reads only its first rows through the (parent, sort key, id) index.
 */
export async function pagesByParent<Row>(db: Database, query: PagesByParentQuery<Row>): Promise<Page<Row>[]> {
  const { table, parentColumn, parentIds, order, request } = query;
  const parentId = sql`parent_ids.id`;
  const condition = and(
    query.within ? query.within(parentId) : sql`${parentColumn} = ${parentId}`,
    query.where,
    keysetCondition(order, request),
  );
  const orderBy = sql.join(keysetOrderBy(order, request), sql`, `);
  const raw = await db.execute(sql`
    select page.*, parent_ids.id as shopgraph_parent_id from unnest(${`{${parentIds.join(',')}}`}::int4[]) as parent_ids(id)
    cross join lateral (
      select *${order.computed ? sql`, ${order.column} as sort_key` : sql``} from ${table} where ${condition} order by ${orderBy} limit ${fetchSize(request)}
    ) as page`);
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const groups = new Map<number, Row[]>(parentIds.map((id) => [id, []]));
  for (const record of raw as unknown as Record<string, unknown>[]) {
    const row = fromDriverRow<Row>(columns, record);
    if (order.computed) (row as { sortKey?: unknown }).sortKey = record.sort_key;
    groups.get(record.shopgraph_parent_id as number)?.push(row);
  }
  return parentIds.map((id) => toPage(groups.get(id) ?? [], order, request));
}

/** How many children each parent has (a connection's totalCount), in one grouped statement. */
export async function countsByParent(
  db: Database,
  { table, parentColumn, parentIds }: Pick<PagesByParentQuery<unknown>, 'table' | 'parentColumn' | 'parentIds'>,
): Promise<number[]> {
  const rows = await db
    .select({ parentId: parentColumn, total: count() })
    .from(table)
    .where(inArray(parentColumn, [...parentIds]))
    .groupBy(parentColumn);
  return byKey(parentIds, rows, (row) => row.parentId as number).map((row) => row?.total ?? 0);
}

/** Maps a raw driver row (database column names and values) to drizzle's typed row. */
function fromDriverRow<Row>(columns: [string, Column][], record: Record<string, unknown>): Row {
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = record[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as Row;
}
