import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, defaultTextMapGetter, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, AlwaysOnSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { GatewayConfig } from '@brownout/core/config';
import type { Host } from '@brownout/core';

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

/** One request's spans: its own, and one per upstream attempt under it. */
export class RequestTrace {
  readonly span: Span;
  private readonly tracer: Tracer;
  private readonly ctx: Context;

  constructor(tracer: Tracer, span: Span) {
    this.tracer = tracer;
    this.span = span;
    this.ctx = trace.setSpan(ROOT_CONTEXT, span);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** A CLIENT span for attempt `n` (1 = first try) to `host`, and the traceparent the upstream gets. */
  attempt(cluster: string, host: Host, n: number, hedged: boolean): Span {
    return this.tracer.startSpan(
      `attempt ${n} ${cluster}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'brownout.cluster': cluster, 'server.address': host.address, 'server.port': host.port, 'brownout.attempt': n, 'brownout.hedged': hedged },
      },
      this.ctx,
    );
  }

  /** Ends the request span with what the client got. */
  end(status: number, cluster: string, flags: string, degradedMode: string, requestId: string): void {
    const s = this.span;
    s.setAttribute('http.response.status_code', status);
    s.setAttribute('brownout.cluster', cluster);
    if (flags !== '') s.setAttribute('brownout.response_flags', flags);
    if (degradedMode !== '') s.setAttribute('brownout.degraded_mode', degradedMode);
    if (requestId !== '') s.setAttribute('brownout.request_id', requestId);
    if (status >= 500) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end();
  }
}

/** W3C traceparent of a span (version 00), for the upstream request. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** Records how an attempt ended without an answer (reset kind or local error) on its span. */
export function attemptFailed(span: Span, reason: string): void {
  span.setAttribute('error.type', reason);
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}
