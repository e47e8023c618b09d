import { and, getTableColumns, inArray, sql, type InferSelectModel, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { classifyFailure, isNodeFailure, RolledBackError, type Route } from '../cluster/index.js';
import { databaseOf, type Database, type Transaction } from './database.js';
import {
  fetchSize,
  keysetCondition,
  keysetOrderBy,
  pageRequest,
  toPage,
  type ConnectionArgs,
  type Page,
  type SortOrder,
} from './pagination.js';

type TableWithId = PgTable & { id: AnyPgColumn };

/**
 * Base of the per-domain stores: every statement runs through the route of the operation,
 * which picks the node. A store never chooses a node itself.
 */
export abstract class Store {
  constructor(private readonly route: Route) {}

  /** Work that only reads: retried once on another node if its node fails. */
  protected run<T>(work: (db: Database) => Promise<T>): Promise<T> {
    return this.route.run((node) => work(databaseOf(this.route, node)));
  }

  /**
   * Work that changes data, on the primary. After a connection failure it is retried only
   * when it cannot have run (see Route) or when `idempotent` says running it twice is safe.
   */
  protected write<T>(work: (db: Database) => Promise<T>, options: { idempotent?: boolean } = {}): Promise<T> {
    return this.route.run((node) => work(databaseOf(this.route, node)), { kind: 'write', idempotent: options.idempotent });
  }

  /** The rows of a DataLoader batch of ids, in the batch's order: undefined where absent. */
  protected rowsByIds<Table extends TableWithId>(table: Table, ids: readonly number[]): Promise<(InferSelectModel<Table> | undefined)[]> {
    return this.run(async (db) => {
      const rows = (await db
        .select()
        .from(table as PgTable)
        .where(inArray(table.id, [...ids]))) as InferSelectModel<Table>[];
      return byKey(ids, rows, (row) => (row as { id: number }).id);
    });
  }

  /** One page of the rows of `table` that `where` matches, in `order`, after or before a cursor. */
  protected keysetPage<Row>(table: PgTable, where: SQL | undefined, order: SortOrder<Row>, args: ConnectionArgs): Promise<Page<Row>> {
    const request = pageRequest(args, order);
    return this.run(async (db) => {
      const selection = order.computed ? { ...getTableColumns(table), sortKey: sql`${order.column}` } : getTableColumns(table);
      const rows = (await db
        .select(selection)
        .from(table)
        .where(and(where, keysetCondition(order, request)))
        .orderBy(...keysetOrderBy(order, request))
        .limit(fetchSize(request))) as Row[];
      return toPage(rows, order, request);
    });
  }

  /** A write in one transaction: every statement on one connection, from BEGIN to COMMIT. */
  protected writeTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.write((db) => inTransaction(db, work));
  }
}

/**
 * Runs a transaction and tells a failure before COMMIT (rolled back: safe to retry) from a
 * failure during COMMIT (the outcome is unknown) when the connection is lost.
 */
export async function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  let committing = false;
  try {
    return await db.transaction(async (tx) => {
      const result = await work(tx);
      committing = true;
      return result;
    });
  } catch (error) {
    if (!committing && isNodeFailure(classifyFailure(error))) throw new RolledBackError({ cause: error });
    throw error;
  }
}

/** Puts rows into key order for a DataLoader batch: one entry per key, undefined when absent. */
export function byKey<K, Row>(keys: readonly K[], rows: readonly Row[], keyOf: (row: Row) => K): (Row | undefined)[] {
  const index = new Map<K, Row>();
  for (const row of rows) index.set(keyOf(row), row);
  return keys.map((key) => index.get(key));
}

/** Groups rows under their parent key, in key order: one (possibly empty) list per key. */
export function groupByKey<K, Row>(keys: readonly K[], rows: readonly Row[], keyOf: (row: Row) => K): Row[][] {
  const groups = new Map<K, Row[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}
