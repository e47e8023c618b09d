import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { createLogger } from '../../src/log.js';
import { startTracing, type Tracing } from '../../src/tracing/sdk.js';
import { connectShared } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * OpenTelemetry: a span per request (a child of the caller's W3C traceparent), per GraphQL
 * operation and per SQL statement (with the node and role that served it), all carrying the
 * request id; recorded here into memory through the same set-up `shopgraph start` uses.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let manager: ConnectionManager;
let server: TestServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'shopgraph-test', exporter });
  manager = await connectShared();
  server = await startTestServer(manager, {
    logger: createLogger({ to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
});
afterAll(async () => {
  await server?.stop();
  await manager?.close();
  await tracing?.shutdown();
});

/** A caller's trace context, as a traceparent header. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The spans of one request (by its request id), once its request span has ended. */
async function spansOf(requestId: string) {
  return eventually(async () => {
    const spans = exporter.getFinishedSpans().filter((span) => span.attributes['shopgraph.request_id'] === requestId);
    const request = spans.find((span) => span.kind === SpanKind.SERVER);
    expect(request).toBeDefined();
    const childrenOf = (parent: ReadableSpan) => spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
    return { request: request!, spans, childrenOf };
  });
}

describe('traces', () => {
  it("continue the caller's trace: the request span is a child of its traceparent, with the request id and status", async () => {
    const caller = callerContext();
    const response = await server.request('query TracedWarehouses { warehouses { code } }', {}, { traceparent: caller.traceparent });
    const { request } = await spansOf(response.headers.get('x-request-id')!);
    expect(request.spanContext().traceId).toBe(caller.traceId);
    expect(request.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(request.name).toBe('POST /graphql');
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'client.address': '127.0.0.1',
    });
  });

  it('have a span per operation under the request, and one per SQL statement under it, naming the node and role that served it', async () => {
    const caller = callerContext();
    const response = await server.request(
      'query TracedProduct($id: ID!) { product(id: $id) { sku reviews(first: 2) { nodes { rating } } } }',
      { id: gid('Product', 12) },
      { traceparent: caller.traceparent },
    );
    const { request, childrenOf } = await spansOf(response.headers.get('x-request-id')!);
    const [operation] = childrenOf(request).filter((span) => span.name === 'query TracedProduct');
    expect(operation!.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'TracedProduct' });
    const statements = childrenOf(operation!);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.kind).toBe(SpanKind.CLIENT);
      expect(statement.spanContext().traceId).toBe(caller.traceId);
      expect(statement.attributes).toMatchObject({
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'shopgraph.node': response.extensions!.routing!.node,
        'shopgraph.node.role': 'replica',
      });
    }
  });

  it("record a mutation's statements on the primary", async () => {
    const response = await server.request(`mutation($input: CreateProductInput!) { createProduct(input: $input) { product { sku } } }`, {
      input: { sku: `TRACE-${randomUUID()}`, name: 'Traced', price: { amount: '1.00', currency: 'USD' }, categoryId: gid('Category', 2) },
    });
    const { spans } = await spansOf(response.headers.get('x-request-id')!);
    const insert = spans.find((span) => span.name === 'INSERT');
    expect(insert!.attributes).toMatchObject({ 'shopgraph.node': 'pg1', 'shopgraph.node.role': 'primary' });
  });

  it('have the same operation and statement spans when the fast lane answers', async () => {
    const query = 'query TracedFast($id: ID!) { product(id: $id) { sku name } }';
    await server.request(query, { id: gid('Product', 13) });
    const response = await server.request(query, { id: gid('Product', 13) });
    expect(lines.find((line) => line.requestId === response.headers.get('x-request-id'))).toMatchObject({ lane: 'fast' });
    const { request, childrenOf } = await spansOf(response.headers.get('x-request-id')!);
    const [operation] = childrenOf(request).filter((span) => span.name === 'query TracedFast');
    expect(childrenOf(operation!).map((span) => span.attributes['shopgraph.node.role'])).toEqual(['replica']);
  });

  it('start a trace of their own for a request without a traceparent', async () => {
    const response = await server.request('{ warehouses { code } }');
    const { request } = await spansOf(response.headers.get('x-request-id')!);
    expect(request.parentSpanContext).toBeUndefined();
  });
});
