import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { BadUserInputError } from '../errors.js';
import { Slot, translated, type Planned } from './slot.js';
import { base64urlSql, isoTime, isoTimeSql, isStorableText, parseStorableTime } from './values.js';

/** Relay connection arguments as a client sends them. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Largest page a client may ask for; larger requests are refused, not truncated. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * A total order over a table's rows for keyset pagination: a column, then the id as a tie
 * breaker, both in one direction. `name` identifies the order inside cursors, so a cursor
 * from another ordering is refused instead of silently skipping rows.
 */
export interface SortOrder<Row> {
  name: string;
  /** A column, or an expression over the row's columns that the stores select with it as `sortKey` (see `computed`). */
  column: AnyPgColumn | SQL;
  /** True when `column` is an expression: the stores select it as the row's `sortKey`, which `valueOf` reads. */
  computed?: boolean;
  id: AnyPgColumn;
  descending: boolean;
  /** SQL type of the column, so cursor values are compared with the column's semantics. */
  sqlType: 'text' | 'numeric' | 'timestamptz' | 'int4';
  valueOf(row: Row): string | number | Date;
  idOf(row: Row): number;
}

type CursorKey = [value: string | number, id: number];

/** Newest first, by creation time then id: how orders, reviews and customers are listed. */
export function newestFirst<Row extends { id: number; createdAt: Date }>(table: {
  createdAt: AnyPgColumn;
  id: AnyPgColumn;
}): SortOrder<Row> {
  return {
    name: 'CREATED_AT_DESC',
    column: table.createdAt,
    id: table.id,
    descending: true,
    sqlType: 'timestamptz',
    valueOf: (row) => row.createdAt,
    idOf: (row) => row.id,
  };
}

/** What a store needs to fetch one page: validated, decoded, with the direction settled. */
export interface PageRequest {
  limit: number;
  backward: boolean;
  after?: CursorKey;
  before?: CursorKey;
}

/** A page request of a planned statement: its size and cursors may be slots, its direction is known. */
export type PlannedPageRequest = Planned<PageRequest, 'limit' | 'after' | 'before'>;

export interface Page<Row> {
  rows: Row[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  cursorOf(row: Row): string;
}

/**
 * Checks page sizes as soon as a connection field resolves, so a request that selects only
 * `totalCount` is refused the same way as one that fetches the page.
 */
export function validateConnectionArgs({ first, last }: ConnectionArgs): void {
  if (first != null && last != null) {
    throw new BadUserInputError('Pass either first or last, not both.', 'last');
  }
  if (first != null) checkedPageSize(first, 'first');
  if (last != null) checkedPageSize(last, 'last');
}

function checkedPageSize(value: number, field: 'first' | 'last'): number {
  if (value < 0 || value > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`${field} must be between 0 and ${MAX_PAGE_SIZE}; page through larger results with cursors.`, field);
  }
  return value;
}

/**
 * The page a client asks for, checked and with its cursors decoded. For a planned statement
 * (src/db/read-compiler.ts) any argument may be a slot: which arguments are given decides
 * the shape of the page now, and the values are checked when the slots are filled.
 */
export function pageRequest<Row>(args: ConnectionArgs, order: SortOrder<Row>): PageRequest;
export function pageRequest<Row>(args: Planned<ConnectionArgs>, order: SortOrder<Row>): PlannedPageRequest;
export function pageRequest<Row>(args: Planned<ConnectionArgs>, order: SortOrder<Row>): PlannedPageRequest {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw new BadUserInputError('Pass either first or last, not both.', 'last');
  const size = (value: number | Slot, field: 'first' | 'last') => translated(value, (filled: number) => checkedPageSize(filled, field));
  const request: PlannedPageRequest = {
    limit: last != null ? size(last, 'last') : first != null ? size(first, 'first') : DEFAULT_PAGE_SIZE,
    backward: last != null,
  };
  if (after != null) request.after = translated(after, (cursor: string) => decodeCursor(cursor, order, 'after'));
  if (before != null) request.before = translated(before, (cursor: string) => decodeCursor(cursor, order, 'before'));
  return request;
}

/** The keyset condition of a page request, or undefined for the first page. */
export function keysetCondition<Row>(order: SortOrder<Row>, request: PlannedPageRequest): SQL | undefined {
  const bounds: SQL[] = [];
  // "After" means "greater" in an ascending order and "smaller" in a descending one.
  if (request.after) bounds.push(compare(order, request.after, order.descending ? '<' : '>'));
  if (request.before) bounds.push(compare(order, request.before, order.descending ? '>' : '<'));
  if (bounds.length === 0) return undefined;
  return sql.join(bounds, sql` and `);
}

/** ORDER BY for the request: a backward page is fetched in reverse and turned round later. */
export function keysetOrderBy<Row>(order: SortOrder<Row>, request: { backward: boolean }): SQL[] {
  const descending = order.descending !== request.backward;
  const direction = descending ? sql`desc` : sql`asc`;
  return [sql`${order.column} ${direction}`, sql`${order.id} ${direction}`];
}

/** Rows to fetch: one more than the page, to learn whether another page follows. */
export function fetchSize(request: { limit: number }): number {
  return request.limit + 1;
}

/**
 * Whether a page has a next and a previous page: known from the request, or `'more'` when it
 * depends on whether the fetch found a row past the page.
 */
export function pageNeighbours(request: PlannedPageRequest): { hasNextPage: boolean | 'more'; hasPreviousPage: boolean | 'more' } {
  return request.backward
    ? { hasNextPage: request.before !== undefined, hasPreviousPage: 'more' }
    : { hasNextPage: 'more', hasPreviousPage: request.after !== undefined };
}

/** Turns the fetched rows (in fetch order, one extra at most) into a page. */
export function toPage<Row>(fetched: Row[], order: SortOrder<Row>, request: PageRequest): Page<Row> {
  const more = fetched.length > request.limit;
  const rows = fetched.slice(0, request.limit);
  if (request.backward) rows.reverse();
  const neighbours = pageNeighbours(request);
  return {
    rows,
    hasNextPage: neighbours.hasNextPage === 'more' ? more : neighbours.hasNextPage,
    hasPreviousPage: neighbours.hasPreviousPage === 'more' ? more : neighbours.hasPreviousPage,
    cursorOf: (row) => encodeCursor(order.name, [cursorValue(order.valueOf(row)), order.idOf(row)]),
  };
}

/**
 * The cursor of the row whose columns `order` names, as `cursorOf` writes it, computed by
 * PostgreSQL: the same JSON layout (taken from encodeCursor's own JSON.stringify), the value
 * as `cursorValue` writes it, and the same base64url.
 */
export function cursorSql<Row>(order: SortOrder<Row>): SQL {
  const [opening, closing] = cursorJson(order.name).split(CURSOR_KEY_MARK) as [string, string];
  const value =
    order.sqlType === 'timestamptz'
      ? isoTimeSql(order.column)
      : order.sqlType === 'numeric'
        ? sql`${order.column}::text`
        : sql`${order.column}`;
  return base64urlSql(sql`${opening}::text || to_json(${value})::text || ',' || ${order.id}::text || ${closing}::text`);
}

function compare<Row>(order: SortOrder<Row>, key: CursorKey | Slot, operator: '<' | '>'): SQL {
  const type = sql.raw(order.sqlType);
  const [value, id] =
    key instanceof Slot ? [key.map((filled) => (filled as CursorKey)[0]), key.map((filled) => (filled as CursorKey)[1])] : key;
  return sql`(${order.column}, ${order.id}) ${sql.raw(operator)} (${value}::${type}, ${id}::int4)`;
}

function cursorValue(value: string | number | Date): string | number {
  return value instanceof Date ? isoTime(value) : value;
}

function encodeCursor(orderName: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ o: orderName, k: key })).toString('base64url');
}

/** A cursor's JSON with CURSOR_KEY_MARK where its key's value and id go (see cursorSql). */
function cursorJson(orderName: string): string {
  return JSON.stringify({ o: orderName, k: [CURSOR_KEY_MARK] }).replace(JSON.stringify(CURSOR_KEY_MARK), CURSOR_KEY_MARK);
}

const CURSOR_KEY_MARK = '\u0000key\u0000';

function decodeCursor<Row>(cursor: string, order: SortOrder<Row>, field: 'after' | 'before'): CursorKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const candidate = decoded as { o?: unknown; k?: unknown } | undefined;
  const key = candidate?.k;
  if (!candidate || !Array.isArray(key) || key.length !== 2 || !isCursorValue(order.sqlType, key[0]) || !isRowId(key[1])) {
    throw new BadUserInputError(`${field} is not a cursor of this connection; pass a cursor from pageInfo or an edge.`, field);
  }
  if (candidate.o !== order.name) {
    throw new BadUserInputError(`${field} is a cursor of another sort order; cursors only work with the orderBy they came from.`, field);
  }
  return [key[0] as string | number, key[1] as number];
}

const DECIMAL = /^-?\d{1,20}(\.\d{1,20})?$/;
const INT4 = 2 ** 31;

/**
 * Whether a cursor holds a value of the order's column as `cursorValue` writes it, one that
 * PostgreSQL takes as that type: a forged cursor is the client's mistake, not a failed
 * statement.
 */
function isCursorValue(sqlType: SortOrder<unknown>['sqlType'], value: unknown): boolean {
  switch (sqlType) {
    case 'text':
      return typeof value === 'string' && isStorableText(value);
    case 'numeric':
      return typeof value === 'string' && DECIMAL.test(value);
    case 'timestamptz':
      return parseStorableTime(value) !== undefined;
    case 'int4':
      return isRowId(value);
  }
}

function isRowId(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= -INT4 && value < INT4;
}
