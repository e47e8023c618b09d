import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { toGlobalId } from '../../src/graphql/index.js';
import { createLogger } from '../../src/log.js';
import { connectShared } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A few hundred bad requests, each with the answer a client should get: the right code and
 * HTTP status, a readable message, nothing internal (SQL, stack, host) in it, and a server
 * that keeps serving afterwards.
 */
interface BadRequest {
  name: string;
  body: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

let manager: ConnectionManager;
let server: TestServer;
let adminKey: string;
const lines: string[] = [];

beforeAll(async () => {
  manager = await connectShared();
  server = await startTestServer(manager, { logger: createLogger({ to: (line) => lines.push(line) }) });
  adminKey = await server.createKey(['admin']);
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
});

/** Seeded, so a failure names a case that can be run again. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const json = (value: unknown) => JSON.stringify(value);
const query = (text: string, variables?: unknown) => json({ query: text, variables });

function badRequests(): BadRequest[] {
  const cases: BadRequest[] = [];
  const next = random(42);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;

  // Bodies that are not JSON.
  for (const body of [
    '{',
    '{"query":',
    'nul',
    '[1,2',
    '{"query": "{ warehouses { code } }"',
    '\u0000\u0001',
    '{"query": 1e}',
    "{'query': '{}'}",
    '{"a":1}}',
  ]) {
    cases.push({ name: `broken JSON ${json(body)}`, body, status: 400, code: 'BAD_REQUEST' });
  }
  // JSON that is not a GraphQL request.
  for (const body of [
    '[]',
    '42',
    '"query"',
    'null',
    '{}',
    json({ query: 42 }),
    json({ query: ['{ a }'] }),
    json({ query: '{ warehouses { code } }', variables: 'x' }),
  ]) {
    cases.push({ name: `not a request ${body}`, body, status: 400, code: 'BAD_REQUEST' });
  }
  // Documents that do not parse.
  const fragments = [
    '{',
    '}',
    '{ products(first: ) { totalCount } }',
    'query query query',
    '{ products { nodes { ...  } } }',
    '{ warehouses { code }',
    'mutation {',
    '{ product(sku: "x) { id } }',
    '"just a string"',
    '{ a: }',
  ];
  for (let i = 0; i < 40; i++) {
    const text =
      i < fragments.length
        ? fragments[i]!
        : `{ ${pick(['products', 'warehouses', 'categories'])}${pick(['(', ')', '{', '!', '$', '@@', ':'])} }`;
    cases.push({ name: `unparsable ${json(text)}`, body: query(text), status: 400, code: 'GRAPHQL_PARSE_FAILED' });
  }
  // Fields and arguments the schema does not have.
  for (let i = 0; i < 40; i++) {
    const field = `secret${i}`;
    const text = pick([
      `{ ${field} }`,
      `{ products { nodes { ${field} } } }`,
      `{ warehouses { code ${field} } }`,
      `{ products(${field}: 1) { totalCount } }`,
      `mutation { ${field}(input: {}) { id } }`,
    ]);
    cases.push({ name: `unknown ${json(text)}`, body: query(text), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
  }
  // Variables of the wrong type.
  const wrongVariables: [string, unknown][] = [
    ['query($n: Int) { products(first: $n) { totalCount } }', { n: 'ten' }],
    ['query($n: Int) { products(first: $n) { totalCount } }', { n: 1.5 }],
    ['query($n: Int) { products(first: $n) { totalCount } }', { n: 2 ** 40 }],
    ['query($s: String) { product(sku: $s) { id } }', { s: { nested: true } }],
    ['query($id: ID!) { node(id: $id) { id } }', {}],
    ['query($id: ID!) { node(id: $id) { id } }', { id: null }],
    ['query($f: ProductFilter) { products(filter: $f) { totalCount } }', { f: { inStock: 'yes' } }],
    ['query($f: ProductFilter) { products(filter: $f) { totalCount } }', { f: { color: 'red' } }],
    ['query($o: ProductOrder) { products(orderBy: $o) { totalCount } }', { o: { field: 'COLOR' } }],
    ['query($f: OrderFilter) { orders(filter: $f) { totalCount } }', { f: { createdAfter: 'yesterday' } }],
  ];
  for (let i = 0; i < 30; i++) {
    const [text, variables] = wrongVariables[i % wrongVariables.length]!;
    cases.push({
      name: `wrong variables ${json(variables)} for ${text}`,
      body: query(text, variables),
      status: 400,
      code: 'BAD_USER_INPUT',
    });
  }
  // Page sizes: negative is bad input, over the maximum is a limit.
  for (let i = 0; i < 30; i++) {
    const size = i % 2 === 0 ? -1 - Math.floor(next() * 1000) : 101 + Math.floor(next() * 1_000_000);
    const argument = pick(['first', 'last']);
    const text = `{ products(${argument}: ${size}) { totalCount } }`;
    cases.push(
      size < 0
        ? { name: text, body: query(text), status: 200, code: 'BAD_USER_INPUT' }
        : { name: text, body: query(text), status: 400, code: 'QUERY_TOO_COMPLEX' },
    );
  }
  // Ids: malformed, or of another type.
  const badIds = [
    '',
    'x',
    '12',
    'UHJvZHVjdDo',
    Buffer.from('Product:abc').toString('base64url'),
    Buffer.from('Product:0').toString('base64url'),
    Buffer.from('Rocket:1').toString('base64url'),
    Buffer.from('Product:1:2').toString('base64url'),
    toGlobalId('Customer', 1),
    toGlobalId('Order', 1),
  ];
  for (let i = 0; i < 40; i++) {
    const id = badIds[i % badIds.length]!;
    const text = pick([
      'query($id: ID!) { product(id: $id) { id } }',
      'query($id: ID!) { category(id: $id) { id } }',
      'query($id: ID!) { products(filter: { categoryId: $id }) { totalCount } }',
    ]);
    cases.push({ name: `id ${json(id)} in ${text}`, body: query(text, { id }), status: 200, code: 'BAD_USER_INPUT' });
  }
  // Mutation input that breaks the rules.
  const inputs: Record<string, unknown>[] = [
    { sku: '', name: 'x', price: { amount: '1.00', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'x'.repeat(65), name: 'x', price: { amount: '1.00', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: ' ', price: { amount: '1.00', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: 'x', price: { amount: '-1', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: 'x', price: { amount: '1.001', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: 'x', price: { amount: 'NaN', currency: 'USD' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: 'x', price: { amount: '1.00', currency: 'usd' }, categoryId: toGlobalId('Category', 2) },
    { sku: 'ok', name: 'x', price: { amount: '1.00', currency: 'USD' }, categoryId: toGlobalId('Product', 2) },
  ];
  for (let i = 0; i < 24; i++) {
    cases.push({
      name: `createProduct ${json(inputs[i % inputs.length])}`,
      body: query('mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }', {
        input: inputs[i % inputs.length],
      }),
      status: 200,
      code: 'BAD_USER_INPUT',
    });
  }
  for (const quantity of [0, -1, 1001, 100000]) {
    cases.push({
      name: `placeOrder quantity ${quantity}`,
      body: query('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }', {
        input: { customerId: toGlobalId('Customer', 1), items: [{ productId: toGlobalId('Product', 1), quantity }] },
      }),
      status: 200,
      code: 'BAD_USER_INPUT',
    });
  }
  // Requests too big or too complex.
  cases.push({
    name: 'a body over 1 MiB',
    body: query(`{ warehouses { code } } #${'x'.repeat(1024 * 1024)}`),
    status: 413,
    code: 'BAD_REQUEST',
  });
  for (let depth = 13; depth < 33; depth++) {
    const text = `{ categories { nodes { ${'parent { '.repeat(depth)}id${' }'.repeat(depth)} } } }`;
    cases.push({ name: `nesting ${depth} deep`, body: query(text), status: 400, code: 'QUERY_TOO_COMPLEX' });
  }
  for (let tokens = 6000; tokens < 26000; tokens += 2000) {
    cases.push({
      name: `${tokens} tokens`,
      body: query(`{ warehouses { ${'code '.repeat(tokens)} } }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
    });
  }
  // Mistakes that once reached PostgreSQL or Apollo's internals and came back as server faults.
  const cursor = (order: string, key: unknown[]) => Buffer.from(JSON.stringify({ o: order, k: key })).toString('base64url');
  const pageAfter = 'query($c: String, $o: ProductOrder) { products(first: 2, after: $c, orderBy: $o) { nodes { sku } } }';
  const mistakes: [string, string, number, string][] = [
    ['NUL in a search', query('{ products(first: 2, filter: { search: "a\\u0000b" }) { totalCount } }'), 200, 'BAD_USER_INPUT'],
    ['NUL in a sku', query('query($s: String) { product(sku: $s) { name } }', { s: 'SKU\u0000' }), 200, 'BAD_USER_INPUT'],
    [
      'NUL in a customer search',
      query('query($s: String) { customers(search: $s) { totalCount } }', { s: '\u0000' }),
      200,
      'BAD_USER_INPUT',
    ],
    ['year 0', query('{ orders(filter: { createdAfter: "0000-01-01T00:00:00Z" }) { totalCount } }'), 400, 'GRAPHQL_VALIDATION_FAILED'],
    [
      'year 10000 in UTC',
      query('query($d: DateTime) { orders(filter: { createdBefore: $d }) { totalCount } }', { d: '9999-12-31T23:59:59-23:59' }),
      400,
      'BAD_USER_INPUT',
    ],
    [
      'a cursor with a price that is no number',
      query(pageAfter, { c: cursor('PRICE_ASC', ['abc', 1]), o: { field: 'PRICE' } }),
      200,
      'BAD_USER_INPUT',
    ],
    [
      'a cursor with the id 2^53',
      query(pageAfter, { c: cursor('PRICE_ASC', ['10.00', 2 ** 53]), o: { field: 'PRICE' } }),
      200,
      'BAD_USER_INPUT',
    ],
    ['a cursor with the id 1e300', query(pageAfter, { c: cursor('NAME_ASC', ['a', 1e300]) }), 200, 'BAD_USER_INPUT'],
    [
      'a cursor in year 0',
      query(pageAfter, { c: cursor('CREATED_AT_ASC', ['0000-01-01T00:00:00.000Z', 1]), o: { field: 'CREATED_AT' } }),
      200,
      'BAD_USER_INPUT',
    ],
    ['a cursor with NUL in a name', query(pageAfter, { c: cursor('NAME_ASC', ['a\u0000', 1]) }), 200, 'BAD_USER_INPUT'],
    [
      'an unknown operationName',
      json({ query: 'query A { warehouses { code } }', operationName: 'B' }),
      400,
      'OPERATION_RESOLUTION_FAILURE',
    ],
    ['a subscription', query('subscription { __typename }'), 400, 'GRAPHQL_VALIDATION_FAILED'],
    [
      'a persisted query whose hash is not its text',
      json({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
      400,
      'BAD_REQUEST',
    ],
    [
      'persisted query version 2',
      json({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } }),
      400,
      'BAD_REQUEST',
    ],
  ];
  for (const [name, body, status, code] of mistakes) cases.push({ name, body, status, code });
  // Credentials that are not.
  for (const authorization of [
    'Bearer',
    'Basic dXNlcjpwYXNz',
    'Bearer sg_',
    'Bearer sg_short_secret',
    'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln',
    'Bearer a.b.c',
    'Token abc',
    'Bearer \u00e9',
  ]) {
    cases.push({
      name: `authorization ${json(authorization)}`,
      body: query('{ warehouses { code } }'),
      headers: { authorization },
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  }
  return cases;
}

describe('bad input', () => {
  const cases = badRequests();

  it('is a few hundred cases', () => {
    expect(cases.length).toBeGreaterThan(250);
  });

  it('gets the right code and status every time, with nothing internal in the answer', async () => {
    const wrong: string[] = [];
    for (const bad of cases) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}`, ...(bad.headers ?? {}) },
        body: bad.body,
      }).catch((error: unknown) => ({ status: 0, text: async () => String(error) }));
      const text = await response.text();
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
      } catch {
        code = undefined;
      }
      const leaks = /select |insert |postgres|127\.0\.0\.1|\bat \w+ \(|node_modules|constraint/i.test(text);
      if (response.status !== bad.status || code !== bad.code || leaks) {
        wrong.push(
          `${bad.name.slice(0, 120)}: got ${response.status} ${code}${leaks ? ' (leaks internals)' : ''}, want ${bad.status} ${bad.code}`,
        );
      }
    }
    expect(wrong).toEqual([]);
  });

  it('logs none of them as a failure of ours', () => {
    expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it('answers a request line whose target is no URL with 400 BAD_REQUEST and a request id', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.write('GET http:// HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/x-request-id: [0-9a-f-]{36}/i);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });

  it('leaves the server serving', async () => {
    const response = await server.request('{ warehouses { code } }');
    expect(response.data!.warehouses).toHaveLength(4);
  });
});
