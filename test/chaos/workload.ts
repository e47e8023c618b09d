import { decodeIdOf } from '../../src/graphql/ids.js';
import { toGlobalId } from '../../src/graphql/index.js';
import { outcomeOfCode, type Operation, type OperationKind } from './history.js';
import { seededRandom, type Random } from './random.js';

/**
 * The chaos run's clients, as careful partners would be: readers load product pages, writers
 * place one-unit orders, each with its own idempotency key, and send an order again with the
 * same key after any answer that is not a definite refusal, until it is acknowledged or the
 * run ends. Half the acknowledged orders are read back at once with their consistency token.
 * Every request is recorded in the history.
 */
export interface WorkloadOptions {
  url: string;
  /** Sent as the bearer token of every request (an admin key, so reads may include orders). */
  apiKey: string;
  readers: number;
  writers: number;
  products: number;
  customers: number;
  seed: number;
  /** Starts every idempotency key, so keys of different schedules never meet. */
  keyPrefix: string;
  /** Time 0 of the history. */
  startedAt: number;
  shouldStop: () => boolean;
}

const READ = `query Read($id: ID!) {
  product(id: $id) { sku price { amount } inventory { totalAvailable } reviews(first: 3) { nodes { rating } } }
  orders(first: 10) { nodes { id } }
}`;
const PLACE_ORDER = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id } } }`;
const READ_ORDER = `query ReadOrder($id: ID!) { order(id: $id) { id } }`;

/** Pause between two attempts of one order, so a refused write does not spin. */
const RETRY_PAUSE_MS = 50;

export async function runWorkload(options: WorkloadOptions, history: Operation[]): Promise<void> {
  const workers = [
    ...Array.from({ length: options.readers }, (_, index) => reader(options, history, index, seededRandom(options.seed * 31 + index))),
    ...Array.from({ length: options.writers }, (_, index) => {
      const worker = options.readers + index;
      return writer(options, history, worker, seededRandom(options.seed * 31 + worker));
    }),
  ];
  await Promise.all(workers);
}

async function reader(options: WorkloadOptions, history: Operation[], worker: number, random: Random): Promise<void> {
  while (!options.shouldStop()) {
    const id = toGlobalId('Product', random.int(1, options.products));
    const sent = await send(options, READ, { id });
    const op = record(history, options, worker, 'read', sent);
    if (op.outcome === 'ok') {
      const nodes = (sent.data as { orders: { nodes: { id: string }[] } }).orders.nodes;
      op.newestOrderId = Math.max(0, ...nodes.map((node) => decodeIdOf('Order', node.id, 'id')));
    }
  }
}

async function writer(options: WorkloadOptions, history: Operation[], worker: number, random: Random): Promise<void> {
  let orders = 0;
  while (!options.shouldStop()) {
    orders += 1;
    const productId = random.int(1, options.products);
    const input = {
      customerId: toGlobalId('Customer', random.int(1, options.customers)),
      items: [{ productId: toGlobalId('Product', productId), quantity: 1 }],
      idempotencyKey: `${options.keyPrefix}-${worker}-${orders}`,
    };
    const readBack = random.chance(0.5);
    // The same order, with the same key, until the answer is definite or the run ends (an
    // order never acknowledged owes nothing; one whose outcome is unknown may exist).
    while (!options.shouldStop()) {
      const sent = await send(options, PLACE_ORDER, { input });
      const op = record(history, options, worker, 'order', sent);
      op.key = input.idempotencyKey;
      op.productId = productId;
      if (op.outcome === 'ok') {
        const { replayed, order } = (sent.data as { placeOrder: { replayed: boolean; order: { id: string } } }).placeOrder;
        op.orderId = decodeIdOf('Order', order.id, 'id');
        op.replayed = replayed;
        op.token = sent.token;
        if (readBack && sent.token) await tokenRead(options, history, worker, order.id, sent.token);
        break;
      }
      if (op.outcome === 'fail' && op.code !== 'PRIMARY_UNAVAILABLE' && op.code !== 'SERVICE_UNAVAILABLE') break;
      await sleep(RETRY_PAUSE_MS);
    }
  }
}

async function tokenRead(options: WorkloadOptions, history: Operation[], worker: number, orderId: string, token: string): Promise<void> {
  const sent = await send(options, READ_ORDER, { id: orderId }, { 'x-consistency-token': token });
  const op = record(history, options, worker, 'token-read', sent);
  op.orderId = decodeIdOf('Order', orderId, 'id');
  op.token = token;
  if (op.outcome === 'ok') op.found = (sent.data as { order: unknown }).order !== null;
}

interface Sent {
  invokedAt: number;
  completedAt: number;
  code?: string;
  data?: unknown;
  routing?: { node?: string; role?: string; timeline?: number };
  token?: string;
}

function record(history: Operation[], options: WorkloadOptions, worker: number, kind: OperationKind, sent: Sent): Operation {
  const op: Operation = {
    index: history.length,
    worker,
    kind,
    invokedAt: sent.invokedAt - options.startedAt,
    completedAt: sent.completedAt - options.startedAt,
    outcome: outcomeOfCode(sent.code),
    ...(sent.code === undefined ? {} : { code: sent.code }),
    ...(sent.routing ? { node: sent.routing.node, role: sent.routing.role, timeline: sent.routing.timeline } : {}),
  };
  history.push(op);
  return op;
}

/** One GraphQL request; `code` is the first error's code, `HTTP_<status>` or `NETWORK`. */
async function send(
  { url, apiKey }: WorkloadOptions,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const invokedAt = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
      extensions?: { routing?: Sent['routing']; consistency?: { token?: string } };
    };
    const completedAt = Date.now();
    const routing = body.extensions?.routing;
    if (body.errors?.length)
      return { invokedAt, completedAt, code: body.errors[0]?.extensions?.code ?? `HTTP_${response.status}`, routing };
    return { invokedAt, completedAt, data: body.data, routing, token: body.extensions?.consistency?.token };
  } catch {
    return { invokedAt, completedAt: Date.now(), code: 'NETWORK' };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
