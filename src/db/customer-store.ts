import { count, ilike, or, type SQL } from 'drizzle-orm';
import { containsPattern } from './like.js';
import { newestFirst, type ConnectionArgs, type Page, type SortOrder } from './pagination.js';
import { translated, type Planned } from './slot.js';
import { Store } from './store.js';
import { customers, type CustomerRow } from './tables/index.js';

export interface CustomerFilter {
  /** Case-insensitive fragment of the name or the email address. */
  search?: string;
}

/** Customers newest first: the one definition the store and the compiled reads use. */
export function customerSortOrder(table = customers): SortOrder<CustomerRow> {
  return newestFirst<CustomerRow>(table);
}

const newest = customerSortOrder();

export class CustomerStore extends Store {
  customersByIds(ids: readonly number[]): Promise<(CustomerRow | undefined)[]> {
    return this.rowsByIds(customers, ids);
  }

  /** Customers, newest first. */
  customersPage(filter: CustomerFilter, args: ConnectionArgs): Promise<Page<CustomerRow>> {
    return this.keysetPage(customers, customerConditions(filter), newest, args);
  }

  customersCount(filter: CustomerFilter): Promise<number> {
    return this.run(async (db) => {
      const [row] = await db.select({ total: count() }).from(customers).where(customerConditions(filter));
      return row?.total ?? 0;
    });
  }
}

/** Customer filter fields that only ever become a parameter: slots of a compiled read. */
export const CUSTOMER_FILTER_PARAMETERS = ['search'] as const;

export type PlannedCustomerFilter = Planned<CustomerFilter, (typeof CUSTOMER_FILTER_PARAMETERS)[number]>;

/** Filter fields whose selectivity depends on their value; see VALUE_SENSITIVE_PRODUCT_FILTERS. */
export const VALUE_SENSITIVE_CUSTOMER_FILTERS: readonly (keyof CustomerFilter)[] = ['search'];

/** The conditions of a customer filter on `table`: the one definition the store and the compiled reads use. */
export function customerConditions(filter: PlannedCustomerFilter, table = customers): SQL | undefined {
  if (filter.search === undefined) return undefined;
  const pattern = translated(filter.search, containsPattern);
  return or(ilike(table.name, pattern), ilike(table.email, pattern));
}
