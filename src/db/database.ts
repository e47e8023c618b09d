import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { ClusterNode } from '../cluster/index.js';

/** A drizzle database bound to one node's pool. */
export type Database = PostgresJsDatabase;

const databases = new WeakMap<ClusterNode, Database>();

/**
 * The drizzle database of a node, made once per node. Its logger counts every statement on
 * the node, which is how SQL-per-request is measured (tests, metrics, benchmark).
 */
export function databaseOf(node: ClusterNode): Database {
  let database = databases.get(node);
  if (!database) {
    database = drizzle(node.sql, { logger: { logQuery: () => node.countStatement() } });
    databases.set(node, database);
  }
  return database;
}

/** An open transaction: it has the database's query methods and stays on one connection. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What a helper that may run inside or outside a transaction takes. */
export type Executor = Database | Transaction;
