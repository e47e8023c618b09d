import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { ClusterNode, Route } from '../cluster/index.js';

/** A drizzle database bound to one node's pool. */
export type Database = PostgresJsDatabase;

const databases = new WeakMap<object, Database>();

/**
 * The drizzle database of a route on a node: over the route's client for the node (the
 * node's pool, with statements tracked for the request's deadline). Its logger counts every
 * statement on the node, which is how SQL-per-request is measured (tests, metrics, bench).
 */
export function databaseOf(route: Route, node: ClusterNode): Database {
  const client = route.clientFor(node);
  let database = databases.get(client);
  if (!database) {
    database = drizzle(client, { logger: { logQuery: () => node.countStatement() } });
    databases.set(client, database);
  }
  return database;
}

/** An open transaction: it has the database's query methods and stays on one connection. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What a helper that may run inside or outside a transaction takes. */
export type Executor = Database | Transaction;
