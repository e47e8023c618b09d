/**
 * The floor of the benchmark: the same responses as ShopGraph's read operations, byte for
 * byte, from a minimal HTTP handler that runs one hand-written SQL statement per request on
 * the same replicas, with no GraphQL at all. What this serves per second is the physical
 * limit of this stack on this machine.
 *
 * Run as its own process: FLOOR_PORT and REPLICA_URLS (comma separated) in the environment.
 */
import http from 'node:http';
import postgres from 'postgres';

/** A global id in SQL, as src/graphql/ids.ts makes it: base64url("Type:id") without padding. */
const gid = (type: string, column: string) =>
  `rtrim(translate(encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64'), '+/', '-_'), '=')`;
/** A DateTime as the API serializes it: ISO 8601, milliseconds, UTC. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const money = (amount: string, currency: string) => `json_build_object('amount', ${amount}::text, 'currency', ${currency})`;
const available = (product: string) =>
  `coalesce((select sum(il.on_hand - il.reserved) from inventory_levels il where il.product_id = ${product}), 0)`;
const rating = (product: string) => `(select avg(r.rating)::float8 from reviews r where r.product_id = ${product})`;
/** A cursor of the products-by-name order, as the API hands them out: base64url of {"o":"NAME_ASC","k":[name,id]}. */
const nameCursor = (product: string) =>
  `rtrim(translate(encode(convert_to('{"o":"NAME_ASC","k":[' || to_json(${product}.name)::text || ',' || ${product}.id || ']}', 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;

const SQL: Record<string, string> = {
  'product-page': `
    select json_build_object('product', (
      select json_build_object(
        'id', ${gid('Product', 'p.id')}, 'sku', p.sku, 'name', p.name, 'description', p.description,
        'price', ${money('p.price_amount', 'p.currency')},
        'category', json_build_object('id', ${gid('Category', 'c.id')}, 'name', c.name),
        'inventory', json_build_object(
          'totalAvailable', ${available('p.id')},
          'byWarehouse', coalesce((
            select json_agg(json_build_object('warehouse', json_build_object('code', w.code), 'available', il.on_hand - il.reserved) order by il.warehouse_id)
            from inventory_levels il join warehouses w on w.id = il.warehouse_id where il.product_id = p.id), '[]'::json)),
        'averageRating', ${rating('p.id')},
        'reviews', json_build_object('nodes', coalesce((
          select json_agg(json_build_object('rating', r.rating, 'body', r.body, 'createdAt', ${iso('r.created_at')}, 'customer', json_build_object('name', cu.name))
            order by r.created_at desc, r.id desc)
          from (select * from reviews where product_id = p.id order by created_at desc, id desc limit 10) r
          join customers cu on cu.id = r.customer_id), '[]'::json)))
      from products p join categories c on c.id = p.category_id where p.id = $1))::text as body`,
  // The product page anyone may read (no reviewer names), which ShopGraph's response cache keeps.
  'cached-product-page': `
    select json_build_object('product', (
      select json_build_object(
        'id', ${gid('Product', 'p.id')}, 'sku', p.sku, 'name', p.name, 'description', p.description,
        'price', ${money('p.price_amount', 'p.currency')},
        'category', json_build_object('id', ${gid('Category', 'c.id')}, 'name', c.name),
        'inventory', json_build_object(
          'totalAvailable', ${available('p.id')},
          'byWarehouse', coalesce((
            select json_agg(json_build_object('warehouse', json_build_object('code', w.code), 'available', il.on_hand - il.reserved) order by il.warehouse_id)
            from inventory_levels il join warehouses w on w.id = il.warehouse_id where il.product_id = p.id), '[]'::json)),
        'averageRating', ${rating('p.id')},
        'reviews', json_build_object('nodes', coalesce((
          select json_agg(json_build_object('rating', r.rating, 'body', r.body, 'createdAt', ${iso('r.created_at')})
            order by r.created_at desc, r.id desc)
          from (select * from reviews where product_id = p.id order by created_at desc, id desc limit 10) r), '[]'::json)))
      from products p join categories c on c.id = p.category_id where p.id = $1))::text as body`,
  'category-listing': `
    select json_build_object('category', (
      select json_build_object('name', c.name, 'products', (
        select json_build_object(
          'nodes', coalesce(json_agg(json_build_object(
            'id', ${gid('Product', 'p.id')}, 'name', p.name, 'price', ${money('p.price_amount', 'p.currency')},
            'inventory', json_build_object('totalAvailable', ${available('p.id')}),
            'averageRating', ${rating('p.id')}) order by p.name, p.id) filter (where p.rn <= 50), '[]'::json),
          'pageInfo', json_build_object(
            'hasNextPage', count(*) > 50,
            'endCursor', (array_agg(${nameCursor('p')} order by p.name desc, p.id desc) filter (where p.rn <= 50))[1]))
        from (select p.*, row_number() over (order by p.name, p.id) as rn
              from (select * from products where category_id = c.id order by name, id limit 51) p) p))
      from categories c where c.id = $1))::text as body`,
  'order-history': `
    select json_build_object('customer', (
      select json_build_object('name', cu.name, 'orders', json_build_object('nodes', coalesce((
        select json_agg(json_build_object(
          'id', ${gid('Order', 'o.id')}, 'status', o.status, 'createdAt', ${iso('o.created_at')},
          'total', ${money('o.total_amount', 'o.currency')},
          'items', coalesce((
            select json_agg(json_build_object('quantity', oi.quantity, 'unitPrice', json_build_object('amount', oi.unit_price::text), 'product', json_build_object('name', pr.name)) order by oi.id)
            from order_items oi join products pr on pr.id = oi.product_id where oi.order_id = o.id), '[]'::json)) order by o.created_at desc, o.id desc)
        from (select * from orders where customer_id = cu.id order by created_at desc, id desc limit 20) o), '[]'::json)))
      from customers cu where cu.id = $1))::text as body`,
  search: `
    select json_build_object('products', json_build_object('nodes', coalesce((
      select json_agg(json_build_object('id', ${gid('Product', 'p.id')}, 'name', p.name, 'price', ${money('p.price_amount', 'p.currency')}) order by p.price_amount, p.id)
      from (
        select * from products p
        where p.name ilike $1 and p.price_amount >= $2::numeric and p.price_amount <= $3::numeric
          and exists (select 1 from inventory_levels il where il.product_id = p.id and il.on_hand > il.reserved)
        order by p.price_amount, p.id limit 20) p), '[]'::json)))::text as body`,
};

/** Each read's statement; the rare-phrase search is the search with other terms. */
export const FLOOR_SQL: Record<string, string> = { ...SQL, 'search-rare': SQL.search! };

/**
 * Operations whose plan depends on the values (a search text's selectivity varies by orders
 * of magnitude): run unnamed, so PostgreSQL plans each execution with its values, as ShopGraph
 * does. A named prepared statement may settle on a generic plan that walks the price index.
 */
const CUSTOM_PLANS: ReadonlySet<string> = new Set(['search', 'search-rare']);

/** The SQL parameters of an operation's GraphQL variables. */
export function floorParameters(operation: string, variables: Record<string, string>): (string | number)[] {
  const rowId = (globalId: string) => Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]);
  switch (operation) {
    case 'search':
    case 'search-rare':
      return [`%${variables.text!.replace(/[\\%_]/g, (char) => `\\${char}`)}%`, variables.min!, variables.max!];
    default:
      return [rowId(variables.id!)];
  }
}

function main(): void {
  const replicas = (process.env.REPLICA_URLS ?? '').split(',').filter(Boolean);
  const pools = replicas.map((url) => postgres(url, { max: Number(process.env.FLOOR_POOL_SIZE ?? 10), prepare: true, onnotice: () => {} }));
  let next = 0;
  const server = http.createServer((req, res) => {
    const operation = req.url?.slice(1) ?? '';
    const sql = FLOOR_SQL[operation];
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (!sql) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const { variables } = JSON.parse(body) as { variables: Record<string, string> };
      const pool = pools[next++ % pools.length]!;
      pool
        .unsafe(sql, floorParameters(operation, variables), { prepare: !CUSTOM_PLANS.has(operation) })
        .then(([row]) => {
          res.setHeader('content-type', 'application/json');
          res.end(`{"data":${(row as unknown as { body: string }).body}}`);
        })
        .catch(() => {
          res.statusCode = 500;
          res.end();
        });
    });
  });
  server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => process.stdout.write('floor ready\n'));
  process.on('SIGTERM', () => server.close(() => Promise.all(pools.map((pool) => pool.end())).then(() => process.exit(0))));
}

if (process.argv[1]?.endsWith('floor.ts')) main();
