import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { alias, PgDialect, type PgTable } from 'drizzle-orm/pg-core';
import {
  categorySortOrder,
  inCategory,
  parentCondition,
  productImageOrder,
  productConditions,
  productSortOrder,
  VALUE_SENSITIVE_PRODUCT_FILTERS,
  type PlannedProductFilter,
  type ProductOrder,
} from './catalog-store.js';
import { customerConditions, customerSortOrder, VALUE_SENSITIVE_CUSTOMER_FILTERS, type PlannedCustomerFilter } from './customer-store.js';
import { stockOrder, warehouseOrder, warehouseStockOrder } from './inventory-store.js';
import { amountSql, multiplyAmountSql } from './money.js';
import {
  cancellableSql,
  orderConditions,
  orderItemOrder,
  orderSortOrder,
  VALUE_SENSITIVE_ORDER_FILTERS,
  type PlannedOrderFilter,
} from './order-store.js';
import {
  cursorSql,
  fetchSize,
  keysetCondition,
  keysetOrderBy,
  pageNeighbours,
  type PlannedPageRequest,
  type SortOrder,
} from './pagination.js';
import { RATING_COLUMNS, reviewSortOrder } from './review-store.js';
import { translated, type Slot } from './slot.js';
import {
  categories,
  customers,
  inventoryLevels,
  orderItems,
  orders,
  productImages,
  products,
  reviews,
  warehouses,
} from './tables/index.js';
import { isoTimeSql } from './values.js';

/**
 * Compiles a read (a tree of selected fields, planned by the GraphQL layer) into ONE SQL
 * statement that returns the response's `data` as JSON text, built by PostgreSQL with
 * json_build_object and correlated subqueries. This is the fast path for hot queries: one
 * round trip instead of one per DataLoader batch, and no row objects in JavaScript.
 *
 * It covers the object, list and connection fields of the read API, connections with their
 * Relay shapes (`edges` with `cursor` and `node`, `nodes`, `pageInfo`, `totalCount`, paged
 * by `first`/`after`/`last`/`before`); `compileRead` returns undefined for anything else, and
 * the operation runs through the resolvers instead. Every value must come out exactly as the
 * resolvers produce it, so the statement is built from the stores' own definitions: columns
 * of src/db/tables, the stores' filter conditions and sort orders, the pagination's keyset
 * conditions and cursors, the money and time formats; values are drizzle parameters (or
 * slots), never text in the SQL.
 */
export interface ReadField {
  /** Response key (the alias, or the field name). */
  key: string;
  /** Schema field name; `__typename` answers `typename`. */
  name: string;
  /** Arguments already translated to database terms (row ids, filters, page requests). */
  args: Record<string, unknown>;
  /** Sub-selection of an object, list or connection field. */
  fields?: ReadField[];
  /** The concrete type, for `__typename`. */
  typename?: string;
}

/** What the GraphQL layer defines and the statement must write the same way. */
export interface ReadFormats {
  /** A row's global id, as src/graphql/ids.ts makes it. */
  globalId(type: string, id: SQLWrapper): SQL;
}

export interface CompiledRead {
  text: string;
  parameters: unknown[];
  /**
   * `generic`: one plan serves every value (ids, page sizes, a category), so it may run as a
   * named prepared statement. `custom`: how many rows a value selects varies widely (a search
   * text, a price range or time window), so PostgreSQL plans it with each execution's values.
   */
  plan: 'generic' | 'custom';
}

/** The arguments a connection field is planned with. */
interface ConnectionArgs {
  page: PlannedPageRequest;
}

class Unsupported extends Error {}

const dialect = new PgDialect();

/** The SQL statement for a query's root fields, or undefined when a field is not covered. */
export function compileRead(rootFields: ReadField[], formats: ReadFormats): CompiledRead | undefined {
  const compiler = new Compiler(formats);
  let statement: SQL;
  try {
    statement = sql`select ${compiler.object(rootFields, (field) => compiler.rootField(field))}::text as data`;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  const { sql: text, params } = dialect.sqlToQuery(statement);
  return { text, parameters: params, plan: compiler.custom ? 'custom' : 'generic' };
}

/** Connection fields that read the page (the others, totalCount and __typename, need no rows). */
const PAGE_PARTS: ReadonlySet<string> = new Set(['edges', 'nodes', 'pageInfo']);

class Compiler {
  /** Whether a value-sensitive filter makes the statement take custom plans. */
  custom = false;
  private aliases = 0;

  constructor(private readonly formats: ReadFormats) {}

  object(fields: ReadField[], value: (field: ReadField) => SQL): SQL {
    // json_build_object takes at most 100 arguments.
    if (fields.length === 0 || fields.length > 50) throw new Unsupported();
    const pairs = fields.map((field) => sql`${name(field.key)}, ${field.name === '__typename' ? name(field.typename!) : value(field)}`);
    return sql`json_build_object(${sql.join(pairs, sql`, `)})`;
  }

  rootField(field: ReadField): SQL {
    const args = field.args as { id?: number | Slot; sku?: string | Slot; slug?: string | Slot; number?: string | Slot };
    switch (field.name) {
      case 'product':
      case 'productBySku': {
        const [p, from] = this.alias(products, 'p');
        return sql`(select ${this.product(p, children(field))} from ${from} where ${args.id !== undefined ? eq(p.id, args.id) : eq(p.sku, args.sku!)})`;
      }
      case 'productBySlug': {
        const [p, from] = this.alias(products, 'p');
        return sql`(select ${this.product(p, children(field))} from ${from} where ${eq(p.slug, args.slug!)})`;
      }
      case 'categoryBySlug': {
        const [c, from] = this.alias(categories, 'c');
        return sql`(select ${this.category(c, children(field))} from ${from} where ${eq(c.slug, args.slug!)})`;
      }
      case 'category': {
        const [c, from] = this.alias(categories, 'c');
        return sql`(select ${this.category(c, children(field))} from ${from} where ${eq(c.id, args.id!)})`;
      }
      case 'customer': {
        const [cu, from] = this.alias(customers, 'cu');
        return sql`(select ${this.customer(cu, children(field))} from ${from} where ${eq(cu.id, args.id!)})`;
      }
      case 'order': {
        const [o, from] = this.alias(orders, 'o');
        return sql`(select ${this.order(o, children(field))} from ${from} where ${eq(o.id, args.id!)})`;
      }
      case 'orderByNumber': {
        const [o, from] = this.alias(orders, 'o');
        return sql`(select ${this.order(o, children(field))} from ${from} where ${eq(o.number, args.number!)})`;
      }
      case 'products':
        return this.productConnection(field, undefined);
      case 'categories': {
        const { parentId } = field.args as { parentId: number | Slot | null };
        return this.connection(field, {
          table: categories,
          where: (c) => parentCondition(parentId, c),
          order: (c) => categorySortOrder(c),
          item: (c, fields) => this.category(c, fields),
        });
      }
      case 'customers': {
        const { filter } = field.args as { filter: PlannedCustomerFilter };
        this.takeCustomPlansFor(VALUE_SENSITIVE_CUSTOMER_FILTERS, filter);
        return this.connection(field, {
          table: customers,
          where: (cu) => customerConditions(filter, cu),
          order: (cu) => customerSortOrder(cu),
          item: (cu, fields) => this.customer(cu, fields),
        });
      }
      case 'orders':
        return this.orderConnection(field, (field.args as { filter: PlannedOrderFilter }).filter, undefined);
      case 'warehouses': {
        const [w, from] = this.alias(warehouses, 'w');
        return sql`coalesce((select json_agg(${this.warehouse(w, children(field))} order by ${list(warehouseOrder(w))}) from ${from}), '[]'::json)`;
      }
      default:
        throw new Unsupported();
    }
  }

  private product(p: typeof products, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Product', p.id);
        case 'sku':
          return sql`${p.sku}`;
        case 'slug':
          return sql`${p.slug}`;
        case 'version':
          return sql`${p.version}`;
        case 'reviewCount':
          return sql`${p.reviewCount}`;
        case 'ratingHistogram': {
          const bars = [5, 4, 3, 2, 1].map((rating) =>
            this.object(children(field), (bar) => {
              if (bar.name === 'rating') return sql.raw(String(rating));
              if (bar.name === 'count') return sql`${p[RATING_COLUMNS[rating - 1]!]}`;
              throw new Unsupported();
            }),
          );
          return sql`json_build_array(${list(bars)})`;
        }
        case 'images': {
          const [i, from] = this.alias(productImages, 'pi');
          return sql`coalesce((select json_agg(${this.productImage(i, children(field))} order by ${list(productImageOrder(i))}) from ${from} where ${eq(i.productId, p.id)}), '[]'::json)`;
        }
        case 'featuredImage': {
          const [i, from] = this.alias(productImages, 'pi');
          return sql`(select ${this.productImage(i, children(field))} from ${from} where ${eq(i.productId, p.id)} order by ${list(productImageOrder(i))} limit 1)`;
        }
        case 'name':
          return sql`${p.name}`;
        case 'description':
          return sql`${p.description}`;
        case 'status':
          return sql`${p.status}`;
        case 'price':
          return this.money(children(field), amountSql(p.priceAmount), p.currency);
        case 'createdAt':
          return isoTimeSql(p.createdAt);
        case 'updatedAt':
          return isoTimeSql(p.updatedAt);
        case 'category': {
          const [c, from] = this.alias(categories, 'c');
          return sql`(select ${this.category(c, children(field))} from ${from} where ${eq(c.id, p.categoryId)})`;
        }
        case 'inventory':
          return this.inventory(p, children(field));
        case 'averageRating': {
          const [r, from] = this.alias(reviews, 'r');
          return sql`(select avg(${r.rating})::float8 from ${from} where ${eq(r.productId, p.id)})`;
        }
        case 'reviews':
          return this.connection(field, {
            table: reviews,
            where: (r) => eq(r.productId, p.id),
            order: (r) => reviewSortOrder(r),
            item: (r, fields) => this.review(r, fields),
          });
        default:
          throw new Unsupported();
      }
    });
  }

  private productImage(i: typeof productImages, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'url':
          return sql`${i.url}`;
        case 'altText':
          return sql`${i.altText}`;
        case 'width':
          return sql`${i.width}`;
        case 'height':
          return sql`${i.height}`;
        default:
          throw new Unsupported();
      }
    });
  }

  private inventory(p: typeof products, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      const [l, from] = this.alias(inventoryLevels, 'il');
      switch (field.name) {
        case 'totalAvailable':
          return sql`coalesce((select sum(${l.onHand} - ${l.reserved})::int from ${from} where ${eq(l.productId, p.id)}), 0)`;
        case 'totalOnHand':
          return sql`coalesce((select sum(${l.onHand})::int from ${from} where ${eq(l.productId, p.id)}), 0)`;
        case 'byWarehouse':
          return sql`coalesce((select json_agg(${this.inventoryLevel(l, children(field))} order by ${list(stockOrder(l))}) from ${from} where ${eq(l.productId, p.id)}), '[]'::json)`;
        default:
          throw new Unsupported();
      }
    });
  }

  private inventoryLevel(l: typeof inventoryLevels, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'onHand':
          return sql`${l.onHand}`;
        case 'reserved':
          return sql`${l.reserved}`;
        case 'available':
          return sql`${l.onHand} - ${l.reserved}`;
        case 'updatedAt':
          return isoTimeSql(l.updatedAt);
        case 'warehouse': {
          const [w, from] = this.alias(warehouses, 'w');
          return sql`(select ${this.warehouse(w, children(field))} from ${from} where ${eq(w.id, l.warehouseId)})`;
        }
        case 'product': {
          const [p, from] = this.alias(products, 'p');
          return sql`(select ${this.product(p, children(field))} from ${from} where ${eq(p.id, l.productId)})`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  private warehouse(w: typeof warehouses, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Warehouse', w.id);
        case 'code':
          return sql`${w.code}`;
        case 'name':
          return sql`${w.name}`;
        case 'city':
          return sql`${w.city}`;
        case 'countryCode':
          return sql`${w.countryCode}`;
        case 'stock':
          return this.connection(field, {
            table: inventoryLevels,
            where: (l) => eq(l.warehouseId, w.id),
            order: (l) => warehouseStockOrder(l),
            item: (l, fields) => this.inventoryLevel(l, fields),
          });
        default:
          throw new Unsupported();
      }
    });
  }

  private category(c: typeof categories, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Category', c.id);
        case 'name':
          return sql`${c.name}`;
        case 'slug':
          return sql`${c.slug}`;
        case 'parent': {
          const [parent, from] = this.alias(categories, 'c');
          return sql`(select ${this.category(parent, children(field))} from ${from} where ${eq(parent.id, c.parentId)})`;
        }
        case 'children': {
          const [child, from] = this.alias(categories, 'c');
          const order = keysetOrderBy(categorySortOrder(child), { backward: false });
          return sql`coalesce((select json_agg(${this.category(child, children(field))} order by ${list(order)}) from ${from} where ${eq(child.parentId, c.id)}), '[]'::json)`;
        }
        case 'products':
          return this.productConnection(field, c);
        default:
          throw new Unsupported();
      }
    });
  }

  /** Products of a filter, or of a category (whose own filter's categoryId is ignored, as the schema says). */
  private productConnection(field: ReadField, category: typeof categories | undefined): SQL {
    const { filter, order, subcategories } = field.args as { filter: PlannedProductFilter; order: ProductOrder; subcategories?: boolean };
    const own: PlannedProductFilter = category ? { ...filter, categoryId: undefined } : filter;
    this.takeCustomPlansFor(VALUE_SENSITIVE_PRODUCT_FILTERS, own);
    return this.connection(field, {
      table: products,
      where: (p) => and(category ? inCategory(sql`${category.id}`, subcategories === true, p) : undefined, productConditions(own, p)),
      order: (p) => productSortOrder(order, p, own.text),
      item: (p, fields) => this.product(p, fields),
    });
  }

  private customer(cu: typeof customers, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Customer', cu.id);
        case 'email':
          return sql`${cu.email}`;
        case 'name':
          return sql`${cu.name}`;
        case 'createdAt':
          return isoTimeSql(cu.createdAt);
        case 'orders':
          return this.orderConnection(field, {}, cu);
        default:
          throw new Unsupported();
      }
    });
  }

  /** Orders of a filter, or of a customer. */
  private orderConnection(field: ReadField, filter: PlannedOrderFilter, customer: typeof customers | undefined): SQL {
    this.takeCustomPlansFor(VALUE_SENSITIVE_ORDER_FILTERS, filter);
    return this.connection(field, {
      table: orders,
      where: (o) => and(customer ? eq(o.customerId, customer.id) : undefined, orderConditions(filter, o)),
      order: (o) => orderSortOrder(o),
      item: (o, fields) => this.order(o, fields),
    });
  }

  private order(o: typeof orders, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Order', o.id);
        case 'number':
          return sql`${o.number}`;
        case 'status':
          return sql`${o.status}`;
        case 'cancellable':
          return cancellableSql(o);
        case 'total':
          return this.money(children(field), amountSql(o.totalAmount), o.currency);
        case 'createdAt':
          return isoTimeSql(o.createdAt);
        case 'updatedAt':
          return isoTimeSql(o.updatedAt);
        case 'customer': {
          const [cu, from] = this.alias(customers, 'cu');
          return sql`(select ${this.customer(cu, children(field))} from ${from} where ${eq(cu.id, o.customerId)})`;
        }
        case 'items': {
          const [i, from] = this.alias(orderItems, 'oi');
          return sql`coalesce((select json_agg(${this.orderItem(i, o, children(field))} order by ${list(orderItemOrder(i))}) from ${from} where ${eq(i.orderId, o.id)}), '[]'::json)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  private orderItem(i: typeof orderItems, o: typeof orders, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'quantity':
          return sql`${i.quantity}`;
        case 'unitPrice':
          return this.money(children(field), amountSql(i.unitPrice), o.currency);
        case 'lineTotal':
          return this.money(children(field), multiplyAmountSql(i.unitPrice, i.quantity), o.currency);
        case 'product': {
          const [p, from] = this.alias(products, 'p');
          return sql`(select ${this.product(p, children(field))} from ${from} where ${eq(p.id, i.productId)})`;
        }
        case 'warehouse': {
          const [w, from] = this.alias(warehouses, 'w');
          return sql`(select ${this.warehouse(w, children(field))} from ${from} where ${eq(w.id, i.warehouseId)})`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  private review(r: typeof reviews, fields: ReadField[]): SQL {
    return this.object(fields, (field) => {
      switch (field.name) {
        case 'id':
          return this.formats.globalId('Review', r.id);
        case 'rating':
          return sql`${r.rating}`;
        case 'body':
          return sql`${r.body}`;
        case 'createdAt':
          return isoTimeSql(r.createdAt);
        case 'product': {
          const [p, from] = this.alias(products, 'p');
          return sql`(select ${this.product(p, children(field))} from ${from} where ${eq(p.id, r.productId)})`;
        }
        case 'customer': {
          const [cu, from] = this.alias(customers, 'cu');
          return sql`(select ${this.customer(cu, children(field))} from ${from} where ${eq(cu.id, r.customerId)})`;
        }
        case 'author': {
          const [cu, from] = this.alias(customers, 'cu');
          const author = this.object(children(field), (part) => {
            if (part.name === 'displayName') return sql`${cu.displayName}`;
            throw new Unsupported();
          });
          return sql`(select ${author} from ${from} where ${eq(cu.id, r.customerId)})`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  private money(fields: ReadField[], amount: SQL, currency: SQLWrapper): SQL {
    return this.object(fields, (field) => {
      if (field.name === 'amount') return amount;
      if (field.name === 'currency') return sql`${currency}`;
      throw new Unsupported();
    });
  }

  /**
   * A Relay connection over the rows of `table` that `where` selects, in `order`. Everything
   * that reads the page (`edges`, `nodes`, `pageInfo`) aggregates one scan of it: the rows of
   * the page request (pagination.ts: keyset condition, fetch order, one row more than the
   * page), numbered in fetch order; the page is the rows numbered up to its size, listed in
   * the order itself, and the row past them tells whether more follow (`pageNeighbours`).
   * `totalCount` counts all the rows `where` selects.
   */
  private connection<T extends PgTable>(
    field: ReadField,
    spec: {
      table: T;
      where: (table: T) => SQL | undefined;
      order: (table: T) => SortOrder<unknown>;
      item: (table: T, fields: ReadField[]) => SQL;
    },
  ): SQL {
    const request = (field.args as unknown as ConnectionArgs).page;
    const parts = children(field);
    const totalCount = () => {
      const [t, from] = this.alias(spec.table, 'n');
      return sql`(select count(*)::int from ${from} where ${spec.where(t) ?? sql`true`})`;
    };
    if (!parts.some((part) => PAGE_PARTS.has(part.name))) {
      return this.object(parts, (part) => {
        if (part.name === 'totalCount') return totalCount();
        throw new Unsupported();
      });
    }
    const [t, from] = this.alias(spec.table, 'n');
    const order = spec.order(t);
    const listed = list(keysetOrderBy(order, { backward: false }));
    const fetched = list(keysetOrderBy(order, request));
    const size = translated(request.limit, (limit: number) => fetchSize({ limit }));
    const rows = sql`(select * from ${from} where ${and(spec.where(t), keysetCondition(order, request)) ?? sql`true`} order by ${fetched} limit ${size})`;
    const page = sql`(select ${t}.*, row_number() over (order by ${fetched}) as rn from ${rows} ${t}) ${t}`;
    const onPage = sql`${t}.rn <= ${request.limit}`;
    const cursors = (direction: SQL) => sql`(array_agg(${cursorSql(order)} order by ${direction}) filter (where ${onPage}))[1]`;
    const neighbour = (known: boolean | 'more') => (known === 'more' ? sql`count(*) > ${request.limit}` : known ? sql`true` : sql`false`);
    const selected = this.object(parts, (part) => {
      switch (part.name) {
        case 'totalCount':
          return totalCount();
        case 'nodes':
          return sql`coalesce(json_agg(${spec.item(t, children(part))} order by ${listed}) filter (where ${onPage}), '[]'::json)`;
        case 'edges': {
          const edge = this.object(children(part), (edgeField) => {
            if (edgeField.name === 'cursor') return cursorSql(order);
            if (edgeField.name === 'node') return spec.item(t, children(edgeField));
            throw new Unsupported();
          });
          return sql`coalesce(json_agg(${edge} order by ${listed}) filter (where ${onPage}), '[]'::json)`;
        }
        case 'pageInfo': {
          const neighbours = pageNeighbours(request);
          return this.object(children(part), (info) => {
            switch (info.name) {
              case 'hasNextPage':
                return neighbour(neighbours.hasNextPage);
              case 'hasPreviousPage':
                return neighbour(neighbours.hasPreviousPage);
              case 'startCursor':
                return cursors(listed);
              case 'endCursor':
                return cursors(list(keysetOrderBy(order, { backward: true })));
              default:
                throw new Unsupported();
            }
          });
        }
        default:
          throw new Unsupported();
      }
    });
    // Grouped by nothing: one row, also when no part aggregates (pageInfo { hasPreviousPage } of a forward page).
    return sql`(select ${selected} from ${page} group by ())`;
  }

  private takeCustomPlansFor<Filter>(sensitive: readonly (keyof Filter)[], filter: Partial<Record<keyof Filter, unknown>>): void {
    if (sensitive.some((name) => filter[name] !== undefined)) this.custom = true;
  }

  /** An alias of `table` for one subquery, and the FROM item that names it. */
  private alias<T extends PgTable>(table: T, prefix: string): [T, SQL] {
    const name = `${prefix}${(this.aliases += 1)}`;
    // The alias has the table's columns under another name; drizzle types it as another table.
    return [alias(table, name) as unknown as T, sql`${table} ${sql.identifier(name)}`];
  }
}

function children(field: ReadField): ReadField[] {
  if (!field.fields) throw new Unsupported();
  return field.fields;
}

function list(parts: SQL[]): SQL {
  return sql.join(parts, sql`, `);
}

/** GraphQL names (response keys, type names) as SQL text literals: a name cannot hold a quote. */
function name(value: string): SQL {
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) throw new Error(`${JSON.stringify(value)} is not a GraphQL name`);
  return sql.raw(`'${value}'`);
}
