import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/graphql/index.js';

/**
 * The chaos run's client side: workers that read product pages and place orders over HTTP,
 * as a careful partner would: every order carries an idempotency key, and an order whose
 * outcome is unknown (or that met no primary) is retried with the same key until it is
 * acknowledged or the run ends.
 */
export type Outcome =
  | 'read-ok'
  | 'read-failed'
  | 'write-ok'
  | 'write-replayed'
  | 'write-primary-unavailable'
  | 'write-outcome-unknown'
  | 'write-insufficient-stock'
  | 'write-failed';

export interface Acknowledged {
  key: string;
  orderId: string;
  /** Node that acknowledged it, and when (ms since the run began). */
  node: string;
  at: number;
}

export interface WorkloadState {
  outcomes: Record<Outcome, number>;
  acknowledged: Acknowledged[];
  /** Failed reads, with the error code and when they happened. */
  readFailures: { at: number; code: string }[];
  /** Writes acknowledged, in order: (time, node). */
  writeLog: { at: number; node: string }[];
  /** Error codes of failed writes that are not one of the named outcomes. */
  otherWriteErrors: Record<string, number>;
}

export interface WorkloadOptions {
  url: string;
  /** Sent as the bearer token of every request. */
  apiKey: string;
  workers: number;
  /** Share of requests that are orders (0..1). */
  writeShare: number;
  products: number;
  customers: number;
  startedAt: number;
  shouldStop: () => boolean;
}

/** Failures after which the same order, with the same key, is sent again. */
const RETRYABLE = new Set(['NETWORK', 'SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

const READ = `query($id: ID!) { product(id: $id) { sku price { amount } inventory { totalAvailable } reviews(first: 3) { nodes { rating } } } }`;
const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id } } }`;

export function newWorkloadState(): WorkloadState {
  return {
    outcomes: {
      'read-ok': 0,
      'read-failed': 0,
      'write-ok': 0,
      'write-replayed': 0,
      'write-primary-unavailable': 0,
      'write-outcome-unknown': 0,
      'write-insufficient-stock': 0,
      'write-failed': 0,
    },
    acknowledged: [],
    readFailures: [],
    writeLog: [],
    otherWriteErrors: {},
  };
}

export async function runWorkload(options: WorkloadOptions, state: WorkloadState): Promise<void> {
  const worker = async () => {
    while (!options.shouldStop()) {
      if (Math.random() < options.writeShare) await placeOrderUntilAcknowledged(options, state);
      else await read(options, state);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
}

async function read(options: WorkloadOptions, state: WorkloadState): Promise<void> {
  const id = toGlobalId('Product', 1 + Math.floor(Math.random() * options.products));
  const { code } = await post(options, READ, { id });
  if (code === undefined) state.outcomes['read-ok'] += 1;
  else {
    state.outcomes['read-failed'] += 1;
    state.readFailures.push({ at: Date.now() - options.startedAt, code });
  }
}

async function placeOrderUntilAcknowledged(options: WorkloadOptions, state: WorkloadState): Promise<void> {
  const input = {
    customerId: toGlobalId('Customer', 1 + Math.floor(Math.random() * options.customers)),
    items: [{ productId: toGlobalId('Product', 1 + Math.floor(Math.random() * options.products)), quantity: 1 }],
    idempotencyKey: randomUUID(),
  };
  // Retry with the same key while the outcome is unknown or no primary takes writes; stop
  // when the run ends (such an order was never acknowledged, so it owes nothing).
  while (!options.shouldStop()) {
    const { code, data, node } = await post(options, PLACE_ORDER, { input });
    if (code === undefined) {
      const { replayed, order } = (data as { placeOrder: { replayed: boolean; order: { id: string } } }).placeOrder;
      state.outcomes[replayed ? 'write-replayed' : 'write-ok'] += 1;
      const at = Date.now() - options.startedAt;
      state.acknowledged.push({ key: input.idempotencyKey, orderId: order.id, node: node ?? 'unknown', at });
      state.writeLog.push({ at, node: node ?? 'unknown' });
      return;
    }
    if (code === 'PRIMARY_UNAVAILABLE') state.outcomes['write-primary-unavailable'] += 1;
    else if (code === 'WRITE_OUTCOME_UNKNOWN') state.outcomes['write-outcome-unknown'] += 1;
    else if (code === 'INSUFFICIENT_STOCK') {
      state.outcomes['write-insufficient-stock'] += 1;
      return;
    } else {
      state.outcomes['write-failed'] += 1;
      state.otherWriteErrors[code] = (state.otherWriteErrors[code] ?? 0) + 1;
      // A refusal (say, a product not for sale) does not change on retry; transport trouble might.
      if (!RETRYABLE.has(code) && !code.startsWith('HTTP_5')) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One GraphQL request; `code` is the first error's code, 'HTTP_<status>' or 'NETWORK'. */
async function post(
  { url, apiKey }: WorkloadOptions,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ code?: string; data?: unknown; node?: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
      extensions?: { routing?: { node?: string } };
    };
    if (body.errors?.length) return { code: body.errors[0]?.extensions?.code ?? `HTTP_${response.status}` };
    return { data: body.data, node: body.extensions?.routing?.node };
  } catch {
    return { code: 'NETWORK' };
  }
}
