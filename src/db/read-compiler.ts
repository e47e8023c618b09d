import type { OrderFilter } from './order-store.js';
import type { ProductFilter, ProductOrder } from './catalog-store.js';
import { containsPattern } from './like.js';

/**
 * Compiles a read (a tree of selected fields, planned by the GraphQL layer) into ONE SQL
 * statement that returns the response's `data` as JSON text, built by PostgreSQL with
 * json_build_object and correlated subqueries. This is the fast path for hot queries: one
 * round trip instead of one per DataLoader batch, and no row objects in JavaScript.
 *
 * It covers the common shapes of the read API (objects, lists and connections with `nodes`
 * and `totalCount` paged by `first`); `compileRead` returns undefined for anything else, and
 * the operation runs through the resolvers instead. Every value must come out exactly as the
 * resolvers would produce it; a test runs both paths on the same requests and compares.
 */
export interface ReadField {
  /** Response key (the alias, or the field name). */
  key: string;
  /** Schema field name; `__typename` answers `typename`. */
  name: string;
  /** Arguments already translated to database terms (row ids, filters, page sizes). */
  args: Record<string, unknown>;
  /** Sub-selection of an object, list or connection field. */
  fields?: ReadField[];
  /** The concrete type, for `__typename`. */
  typename?: string;
}

/**
 * A parameter value known only when a request fills it in (the GraphQL layer plans one
 * statement for many requests, with slots where their ids, page sizes or search text go).
 * The compiler passes a slot through as a parameter, or maps it where it translates a value.
 * `fill` throws for a value the resolvers must refuse.
 */
export class Slot {
  constructor(readonly fill: (variables: Record<string, unknown>) => unknown) {}

  map(translate: (value: unknown) => unknown): Slot {
    return new Slot((variables) => translate(this.fill(variables)));
  }
}

/** `value` translated now, or when its slot is filled. */
function translated<T>(value: T | Slot, translate: (value: T) => unknown): unknown {
  return value instanceof Slot ? value.map((filled) => translate(filled as T)) : translate(value);
}

export interface CompiledRead {
  text: string;
  parameters: unknown[];
}

class Unsupported extends Error {}

/** The SQL statement for a query's root fields, or undefined when a field is not covered. */
export function compileRead(rootFields: ReadField[]): CompiledRead | undefined {
  const parameters: unknown[] = [];
  let aliases = 0;
  const param = (value: unknown) => {
    parameters.push(value);
    return `$${parameters.length}`;
  };
  const alias = (prefix: string) => `${prefix}${++aliases}`;

  try {
    const text = `select ${objectOf(rootFields, (field) => rootField(field))}::text as data`;
    return { text, parameters };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }

  function objectOf(fields: ReadField[], value: (field: ReadField) => string): string {
    if (fields.length === 0 || fields.length > 50) throw new Unsupported();
    return `json_build_object(${fields.map((field) => `'${field.key.replace(/'/g, "''")}', ${field.name === '__typename' ? `'${field.typename}'` : value(field)}`).join(', ')})`;
  }

  function children(field: ReadField): ReadField[] {
    if (!field.fields) throw new Unsupported();
    return field.fields;
  }

  function rootField(field: ReadField): string {
    const { args } = field;
    switch (field.name) {
      case 'product': {
        const t = alias('p');
        const where = args.id !== undefined ? `${t}.id = ${param(args.id)}` : `${t}.sku = ${param(args.sku)}`;
        return `(select ${product(t, children(field))} from products ${t} where ${where})`;
      }
      case 'products':
        return productConnection(field, undefined);
      case 'category': {
        const t = alias('c');
        return `(select ${category(t, children(field))} from categories ${t} where ${t}.id = ${param(args.id)})`;
      }
      case 'customer': {
        const t = alias('cu');
        return `(select ${customer(t, children(field))} from customers ${t} where ${t}.id = ${param(args.id)})`;
      }
      case 'order': {
        const t = alias('o');
        return `(select ${order(t, children(field))} from orders ${t} where ${t}.id = ${param(args.id)})`;
      }
      case 'orders':
        return orderConnection(field, args.filter as OrderFilter, undefined);
      case 'warehouses': {
        const t = alias('w');
        return `coalesce((select json_agg(${warehouse(t, children(field))} order by ${t}.code) from warehouses ${t}), '[]'::json)`;
      }
      default:
        throw new Unsupported();
    }
  }

  function product(t: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Product', `${t}.id`);
        case 'sku':
        case 'name':
        case 'description':
        case 'status':
        case 'currency':
          return `${t}.${field.name}`;
        case 'price':
          return money(children(field), `${t}.price_amount`, `${t}.currency`);
        case 'createdAt':
          return iso(`${t}.created_at`);
        case 'updatedAt':
          return iso(`${t}.updated_at`);
        case 'category': {
          const c = alias('c');
          return `(select ${category(c, children(field))} from categories ${c} where ${c}.id = ${t}.category_id)`;
        }
        case 'inventory':
          return inventory(t, children(field));
        case 'averageRating':
          return `(select avg(r.rating)::float8 from reviews r where r.product_id = ${t}.id)`;
        case 'reviews':
          return connection(field, {
            table: 'reviews',
            where: (r) => `${r}.product_id = ${t}.id`,
            orderBy: (r) => `${r}.created_at desc, ${r}.id desc`,
            item: review,
          });
        default:
          throw new Unsupported();
      }
    });
  }

  function inventory(product: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'totalAvailable':
          return `coalesce((select sum(il.on_hand - il.reserved)::int from inventory_levels il where il.product_id = ${product}.id), 0)`;
        case 'totalOnHand':
          return `coalesce((select sum(il.on_hand)::int from inventory_levels il where il.product_id = ${product}.id), 0)`;
        case 'byWarehouse': {
          const l = alias('il');
          return `coalesce((select json_agg(${inventoryLevel(l, children(field))} order by ${l}.warehouse_id) from inventory_levels ${l} where ${l}.product_id = ${product}.id), '[]'::json)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  function inventoryLevel(l: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'onHand':
          return `${l}.on_hand`;
        case 'reserved':
          return `${l}.reserved`;
        case 'available':
          return `${l}.on_hand - ${l}.reserved`;
        case 'updatedAt':
          return iso(`${l}.updated_at`);
        case 'warehouse': {
          const w = alias('w');
          return `(select ${warehouse(w, children(field))} from warehouses ${w} where ${w}.id = ${l}.warehouse_id)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  function warehouse(w: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Warehouse', `${w}.id`);
        case 'code':
        case 'name':
        case 'city':
          return `${w}.${field.name}`;
        case 'countryCode':
          return `${w}.country_code`;
        default:
          throw new Unsupported();
      }
    });
  }

  function category(c: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Category', `${c}.id`);
        case 'name':
        case 'slug':
          return `${c}.${field.name}`;
        case 'parent': {
          const parent = alias('c');
          return `(select ${category(parent, children(field))} from categories ${parent} where ${parent}.id = ${c}.parent_id)`;
        }
        case 'children': {
          const child = alias('c');
          return `coalesce((select json_agg(${category(child, children(field))} order by ${child}.name, ${child}.id) from categories ${child} where ${child}.parent_id = ${c}.id), '[]'::json)`;
        }
        case 'products':
          return productConnection(field, c);
        default:
          throw new Unsupported();
      }
    });
  }

  function productConnection(field: ReadField, categoryAlias: string | undefined): string {
    const filter = { ...(field.args.filter as ProductFilter) };
    if (categoryAlias) delete filter.categoryId;
    const order = field.args.order as ProductOrder;
    const column = { NAME: 'name', PRICE: 'price_amount', CREATED_AT: 'created_at' }[order.field];
    const direction = order.direction === 'DESC' ? 'desc' : 'asc';
    return connection(field, {
      table: 'products',
      where: (p) => [categoryAlias ? `${p}.category_id = ${categoryAlias}.id` : 'true', ...productConditions(p, filter)].join(' and '),
      orderBy: (p) => `${p}.${column} ${direction}, ${p}.id ${direction}`,
      item: product,
    });
  }

  function productConditions(p: string, filter: ProductFilter): string[] {
    const conditions: string[] = [];
    if (filter.categoryId !== undefined) conditions.push(`${p}.category_id = ${param(filter.categoryId)}`);
    if (filter.search !== undefined) conditions.push(`${p}.name ilike ${param(translated(filter.search, containsPattern))}`);
    if (filter.minPrice !== undefined) conditions.push(`${p}.price_amount >= ${param(filter.minPrice)}`);
    if (filter.maxPrice !== undefined) conditions.push(`${p}.price_amount <= ${param(filter.maxPrice)}`);
    if (filter.status !== undefined) conditions.push(`${p}.status = ${param(filter.status)}`);
    if (filter.inStock !== undefined) {
      conditions.push(
        `${filter.inStock ? '' : 'not '}exists (select 1 from inventory_levels il where il.product_id = ${p}.id and il.on_hand > il.reserved)`,
      );
    }
    return conditions;
  }

  function customer(cu: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Customer', `${cu}.id`);
        case 'email':
        case 'name':
          return `${cu}.${field.name}`;
        case 'createdAt':
          return iso(`${cu}.created_at`);
        case 'orders':
          return orderConnection(field, {}, cu);
        default:
          throw new Unsupported();
      }
    });
  }

  function orderConnection(field: ReadField, filter: OrderFilter, customerAlias: string | undefined): string {
    return connection(field, {
      table: 'orders',
      where: (o) => {
        const conditions = [customerAlias ? `${o}.customer_id = ${customerAlias}.id` : 'true'];
        if (filter.customerId !== undefined) conditions.push(`${o}.customer_id = ${param(filter.customerId)}`);
        if (filter.status !== undefined) conditions.push(`${o}.status = ${param(filter.status)}`);
        if (filter.createdAfter !== undefined) conditions.push(`${o}.created_at >= ${param(filter.createdAfter.toISOString())}`);
        if (filter.createdBefore !== undefined) conditions.push(`${o}.created_at < ${param(filter.createdBefore.toISOString())}`);
        return conditions.join(' and ');
      },
      orderBy: (o) => `${o}.created_at desc, ${o}.id desc`,
      item: order,
    });
  }

  function order(o: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Order', `${o}.id`);
        case 'status':
          return `${o}.status`;
        case 'total':
          return money(children(field), `${o}.total_amount`, `${o}.currency`);
        case 'createdAt':
          return iso(`${o}.created_at`);
        case 'updatedAt':
          return iso(`${o}.updated_at`);
        case 'customer': {
          const cu = alias('cu');
          return `(select ${customer(cu, children(field))} from customers ${cu} where ${cu}.id = ${o}.customer_id)`;
        }
        case 'items': {
          const i = alias('oi');
          return `coalesce((select json_agg(${orderItem(i, o, children(field))} order by ${i}.id) from order_items ${i} where ${i}.order_id = ${o}.id), '[]'::json)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  function orderItem(i: string, o: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'quantity':
          return `${i}.quantity`;
        case 'unitPrice':
          return money(children(field), `${i}.unit_price`, `${o}.currency`);
        case 'lineTotal':
          return money(children(field), `(${i}.unit_price * ${i}.quantity)`, `${o}.currency`);
        case 'product': {
          const p = alias('p');
          return `(select ${product(p, children(field))} from products ${p} where ${p}.id = ${i}.product_id)`;
        }
        case 'warehouse': {
          const w = alias('w');
          return `(select ${warehouse(w, children(field))} from warehouses ${w} where ${w}.id = ${i}.warehouse_id)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  function review(r: string, fields: ReadField[]): string {
    return objectOf(fields, (field) => {
      switch (field.name) {
        case 'id':
          return globalId('Review', `${r}.id`);
        case 'rating':
        case 'body':
          return `${r}.${field.name}`;
        case 'createdAt':
          return iso(`${r}.created_at`);
        case 'product': {
          const p = alias('p');
          return `(select ${product(p, children(field))} from products ${p} where ${p}.id = ${r}.product_id)`;
        }
        case 'customer': {
          const cu = alias('cu');
          return `(select ${customer(cu, children(field))} from customers ${cu} where ${cu}.id = ${r}.customer_id)`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  /** A connection with `nodes` and `totalCount`, the first `first` items in a fixed order. */
  function connection(
    field: ReadField,
    spec: {
      table: string;
      where: (alias: string) => string;
      orderBy: (alias: string) => string;
      item: (alias: string, fields: ReadField[]) => string;
    },
  ): string {
    const first = field.args.first as number;
    return objectOf(children(field), (part) => {
      switch (part.name) {
        case 'nodes': {
          const t = alias('n');
          const page = `(select * from ${spec.table} ${t} where ${spec.where(t)} order by ${spec.orderBy(t)} limit ${param(first)}) ${t}`;
          return `coalesce((select json_agg(${spec.item(t, children(part))} order by ${spec.orderBy(t)}) from ${page}), '[]'::json)`;
        }
        case 'totalCount': {
          const t = alias('n');
          return `(select count(*)::int from ${spec.table} ${t} where ${spec.where(t)})`;
        }
        default:
          throw new Unsupported();
      }
    });
  }

  function money(fields: ReadField[], amount: string, currency: string): string {
    return objectOf(fields, (field) => {
      if (field.name === 'amount') return `(${amount})::numeric(14, 2)::text`;
      if (field.name === 'currency') return currency;
      throw new Unsupported();
    });
  }
}

/** A global id as src/graphql/ids.ts makes it: base64url("Type:id"), no padding. */
function globalId(type: string, column: string): string {
  return `rtrim(translate(encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64'), '+/', '-_'), '=')`;
}

/** A DateTime as the API serializes it: ISO 8601 with milliseconds, in UTC. */
function iso(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
