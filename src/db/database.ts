import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { ClusterNode } from '../cluster/index.js';

/** A drizzle database bound to one node's pool. */
export type Database = PostgresJsDatabase;

const databases = new WeakMap<object, Database>();

/**
 * The drizzle database over a node's current pool, made once per pool (a node gets a new
 * pool after it goes down). Its logger counts every statement on the node, which is how
 * SQL-per-request is measured (tests, metrics, benchmark).
 */
export function databaseOf(node: ClusterNode): Database {
  const pool = node.sql;
  let database = databases.get(pool);
  if (!database) {
    database = drizzle(pool, { logger: { logQuery: () => node.countStatement() } });
    databases.set(pool, database);
  }
  return database;
}

/** An open transaction: it has the database's query methods and stays on one connection. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What a helper that may run inside or outside a transaction takes. */
export type Executor = Database | Transaction;
