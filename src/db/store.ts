import type { Route } from '../cluster/index.js';
import { databaseOf, type Database } from './database.js';

/**
 * Base of the per-domain stores: every statement runs through the route of the operation,
 * which picks the node. A store never chooses a node itself.
 */
export abstract class Store {
  constructor(private readonly route: Route) {}

  protected run<T>(work: (db: Database) => Promise<T>): Promise<T> {
    return this.route.run((node) => work(databaseOf(node)));
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
