import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { safeErrorFields } from '../errors.js';

/**
 * Spans through the OpenTelemetry API alone. Until an SDK is registered (src/tracing/sdk.ts,
 * when the operator configures an OTLP endpoint) every call here is the API's no-op: no span
 * is recorded, no context is kept, and attributes are not even built (`isRecording()`).
 */
export const tracer = trace.getTracer('shopgraph');

/** The request id in the active context, so every span of a request can carry it. */
const REQUEST_ID = createContextKey('shopgraph.request_id');

/** The request id of the active context, if a request is being served. */
function activeRequestId(): string | undefined {
  return context.active().getValue(REQUEST_ID) as string | undefined;
}

/**
 * Runs the handling of one HTTP request in a span of its own (SERVER), a child of the
 * caller's span when the request carries a W3C `traceparent`. The span ends when the
 * response is sent or the connection closes, with the status code.
 */
export function inRequestSpan<T>(
  req: IncomingMessage,
  res: ServerResponse,
  facts: { requestId: string; path: string; client: string },
  handle: () => T,
): T {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(`${method} ${facts.path}`, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) return handle();
  span.setAttributes({
    'http.request.method': method,
    'url.path': facts.path,
    'client.address': facts.client,
    'shopgraph.request_id': facts.requestId,
  });
  const end = () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('close', end);
  return context.with(trace.setSpan(parent, span).setValue(REQUEST_ID, facts.requestId), handle);
}

/**
 * Runs one GraphQL operation in a span of its own, so its SQL statements are its children.
 * `failed` tells from the result whether it failed (its errors are not thrown).
 */
export function inOperationSpan<T>(
  operation: { type: string; name: string | undefined },
  work: () => Promise<T>,
  failed: (result: T) => boolean = () => false,
): Promise<T> {
  const span = tracer.startSpan('operation');
  if (!span.isRecording()) return work();
  span.updateName(operation.name ? `${operation.type} ${operation.name}` : operation.type);
  span.setAttributes({
    'graphql.operation.type': operation.type,
    ...(operation.name ? { 'graphql.operation.name': operation.name } : {}),
    ...requestIdAttribute(),
  });
  return context.with(trace.setSpan(context.active(), span), work).then(
    (result) => {
      if (failed(result)) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      return result;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    },
  );
}

/**
 * A span (CLIENT) for one SQL statement, naming the node and the role that serve it, that
 * ends when the statement settles. postgres.js statements are lazy: their own then() sends
 * them, so the span watches the promise underneath (Promise.prototype.then, which a
 * postgres.js query allows: its species is Promise), which neither sends nor changes it.
 * Neither the SQL text nor its parameters are recorded; a failure is recorded by SQLSTATE.
 */
export function traceStatement(statement: PromiseLike<unknown>, text: string, node: { name: string; role: string }): void {
  const span = tracer.startSpan('SQL', { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return;
  const operation = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  span.updateName(operation);
  span.setAttributes({
    'db.system.name': 'postgresql',
    'db.operation.name': operation,
    'shopgraph.node': node.name,
    'shopgraph.node.role': node.role,
    ...requestIdAttribute(),
  });
  Promise.prototype.then.call(
    statement,
    () => span.end(),
    (error: unknown) => {
      const fields = safeErrorFields(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: fields.sqlstate ?? fields.cause ?? fields.error });
      span.end();
    },
  );
}

function requestIdAttribute(): Record<string, string> {
  const requestId = activeRequestId();
  return requestId === undefined ? {} : { 'shopgraph.request_id': requestId };
}
