import { count, ilike, or } from 'drizzle-orm';
import { containsPattern } from './like.js';
import type { ConnectionArgs, Page, SortOrder } from './pagination.js';
import { Store } from './store.js';
import { customers, type CustomerRow } from './tables/index.js';

export interface CustomerFilter {
  /** Case-insensitive fragment of the name or the email address. */
  search?: string;
}

const newestFirst: SortOrder<CustomerRow> = {
  name: 'CREATED_AT_DESC',
  column: customers.createdAt,
  id: customers.id,
  descending: true,
  sqlType: 'timestamptz',
  valueOf: (row) => row.createdAt,
  idOf: (row) => row.id,
};

export class CustomerStore extends Store {
  customersByIds(ids: readonly number[]): Promise<(CustomerRow | undefined)[]> {
    return this.rowsByIds(customers, ids);
  }

  /** Customers, newest first. */
  customersPage(filter: CustomerFilter, args: ConnectionArgs): Promise<Page<CustomerRow>> {
    return this.keysetPage(customers, customerConditions(filter), newestFirst, args);
  }

  customersCount(filter: CustomerFilter): Promise<number> {
    return this.run(async (db) => {
      const [row] = await db.select({ total: count() }).from(customers).where(customerConditions(filter));
      return row?.total ?? 0;
    });
  }
}

function customerConditions(filter: CustomerFilter) {
  if (filter.search === undefined) return undefined;
  const pattern = containsPattern(filter.search);
  return or(ilike(customers.name, pattern), ilike(customers.email, pattern));
}
