import { ROOT_CONTEXT, SpanKind, TraceFlags, trace, defaultTextMapGetter, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, AlwaysOnSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { GatewayConfig } from '@brownout/core/config';
import { RequestTrace } from './request-trace.ts';

export type TracingConfig = NonNullable<GatewayConfig['tracing']>;
type Headers = Record<string, string | string[] | undefined>;

/**
 * OpenTelemetry tracing for the request path (config `tracing`; absent, none of this is built and
 * the request path checks one undefined field). The SDK's tracer provider, W3C propagator,
 * samplers and OTLP/HTTP exporter do the work; what is ours is where spans start and end and what
 * they carry. A caller's `traceparent` always parents the request span (so a trace continues
 * through the gateway); its sampled flag is believed only from a trusted proxy — anyone else could
 * otherwise force every request of theirs into the tracing backend.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  /** `exporter` replaces OTLP/HTTP (tests use the SDK's in-memory exporter, exported span by span). */
  constructor(cfg: TracingConfig, exporter?: SpanExporter) {
    const ratio = new TraceIdRatioBasedSampler(cfg.random_sampling / 100);
    const processor = exporter
      ? new SimpleSpanProcessor(exporter)
      : new BatchSpanProcessor(new OTLPTraceExporter({ url: cfg.otlp_http.endpoint, headers: cfg.otlp_http.headers, timeoutMillis: cfg.otlp_http.timeout }));
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': cfg.service_name }),
      // A sampled remote parent is followed (its flag was cleared unless the peer is trusted);
      // otherwise random_sampling decides, by trace id, so every gateway on a trace agrees.
      sampler: new ParentBasedSampler({ root: ratio, remoteParentSampled: new AlwaysOnSampler(), remoteParentNotSampled: ratio }),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer('brownout-gateway');
  }

  /** The request span (SERVER), parented by the caller's traceparent when it carries a valid one. */
  startRequest(method: string, path: string, headers: Headers, route: string, trustedPeer: boolean): RequestTrace {
    let parent: Context = ROOT_CONTEXT;
    if (headers.traceparent !== undefined) {
      parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const sc = trace.getSpanContext(parent);
      if (sc && !trustedPeer && sc.traceFlags & TraceFlags.SAMPLED) parent = trace.setSpanContext(parent, { ...sc, traceFlags: TraceFlags.NONE });
    }
    const span = this.tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path, 'brownout.route': route } },
      parent,
    );
    return new RequestTrace(this.tracer, span);
  }

  /** Exports what is buffered and stops (graceful shutdown). */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

