import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  /** `service.name` of the spans. */
  serviceName: string;
  /**
   * Where spans go, one by one (tests: an in-memory exporter). Default: OTLP over HTTP
   * (protobuf), in batches, to the endpoint and with the headers of the standard
   * `OTEL_EXPORTER_OTLP_*` variables, which the exporter reads itself.
   */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Exports what is left and unregisters, so the API is a no-op again. */
  shutdown(): Promise<void>;
}

/**
 * Records spans from now on: registers the OpenTelemetry SDK for this process, with context
 * kept across awaits (AsyncLocalStorage) and W3C trace context read from incoming requests
 * (`traceparent`). Loaded only when traces are configured; without it the API is a no-op.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processor = options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
